#pragma once
/* A growable byte string: the shim's only dynamic text, so no argv, path, line or message is
 * ever cut to a fixed size. An allocation failure makes the buffer "failed" (sticky until
 * text_clear), and its users drop what they were building instead of crashing. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/** Bytes plus a terminating NUL (data is NULL until something was appended). */
typedef struct TextBuffer {
    char* data;
    size_t len;
    size_t cap;
    bool failed; /**< an append could not allocate: the content is incomplete */
} TextBuffer;

/** An empty buffer that owns nothing yet. */
#define TEXT_BUFFER_INIT {NULL, 0, 0, false}

/** Makes room for `extra` more bytes plus the NUL; false (and failed set) when it cannot. */
bool text_reserve(TextBuffer* text, size_t extra);

/** Appends `size` bytes; false (and failed set) when memory ran out or an earlier append failed. */
bool text_append(TextBuffer* text, const char* data, size_t size);

/** Appends a NUL-terminated string; false as text_append. */
bool text_puts(TextBuffer* text, const char* string);

/** Appends printf-formatted text, whatever its length; false as text_append. */
bool text_printf(TextBuffer* text, const char* format, ...) __attribute__((format(printf, 2, 3)));

/** text_printf with a va_list. */
bool text_vprintf(TextBuffer* text, const char* format, va_list args) __attribute__((format(printf, 2, 0)));

/** Empties the buffer (keeping its memory) and forgets an earlier failure. */
void text_clear(TextBuffer* text);

/** The content as a C string ("" when empty or failed). */
const char* text_str(const TextBuffer* text);

/** Frees the memory; the buffer is empty again. */
void text_free(TextBuffer* text);

#pragma once
/* Splits the agent's output bytes into lines for the log. */

#include <stdbool.h>
#include <stddef.h>

/** Receives one line without its newline. */
typedef void (*ShimLineSink)(void* context, const char* line, size_t size);

/** Collects output bytes and hands out complete lines; a line longer than `max_line` is cut
 * into pieces of `max_line` bytes; the unterminated rest waits for flush. */
typedef struct ShimLineBuffer {
    size_t m_max_line;
    char* m_partial;       /**< m_max_line bytes, allocated once: feeding never allocates */
    size_t m_partial_size;
} ShimLineBuffer;

/** Prepares a buffer that splits lines longer than `max_line` bytes; false when out of memory. */
bool shim_line_buffer_init(ShimLineBuffer* buffer, size_t max_line);

/** Adds bytes; hands every complete line to `sink`. */
void shim_line_buffer_feed(ShimLineBuffer* buffer, const char* data, size_t size, ShimLineSink sink, void* context);

/** Hands the unterminated rest (if any) to `sink` as one line. */
void shim_line_buffer_flush(ShimLineBuffer* buffer, ShimLineSink sink, void* context);

/** True when bytes without a newline are waiting. */
bool shim_line_buffer_pending(const ShimLineBuffer* buffer);

#include "text_buffer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool text_reserve(TextBuffer* text, size_t extra) {
    if (text->failed) return false;
    if (extra > SIZE_MAX - text->len - 1) {
        text->failed = true;
        return false;
    }
    size_t needed = text->len + extra + 1;
    if (needed <= text->cap) return true;
    size_t cap = text->cap ? text->cap : 64;
    while (cap < needed) cap = cap > SIZE_MAX / 2 ? needed : cap * 2;
    char* grown = realloc(text->data, cap);
    if (!grown) {
        text->failed = true;
        return false;
    }
    text->data = grown;
    text->cap = cap;
    return true;
}

bool text_append(TextBuffer* text, const char* data, size_t size) {
    if (!text_reserve(text, size)) return false;
    if (size > 0) memcpy(text->data + text->len, data, size);
    text->len += size;
    text->data[text->len] = '\0';
    return true;
}

bool text_puts(TextBuffer* text, const char* string) { return text_append(text, string, strlen(string)); }

bool text_vprintf(TextBuffer* text, const char* format, va_list args) {
    if (text->failed) return false;
    va_list measure;
    va_copy(measure, args);
    int size = vsnprintf(NULL, 0, format, measure);
    va_end(measure);
    if (size < 0) {
        text->failed = true;
        return false;
    }
    if (!text_reserve(text, (size_t)size)) return false;
    vsnprintf(text->data + text->len, (size_t)size + 1, format, args);
    text->len += (size_t)size;
    return true;
}

bool text_printf(TextBuffer* text, const char* format, ...) {
    va_list args;
    va_start(args, format);
    bool ok = text_vprintf(text, format, args);
    va_end(args);
    return ok;
}

void text_clear(TextBuffer* text) {
    text->len = 0;
    text->failed = false;
    if (text->data) text->data[0] = '\0';
}

const char* text_str(const TextBuffer* text) { return text->data && !text->failed ? text->data : ""; }

void text_free(TextBuffer* text) {
    free(text->data);
    text->data = NULL;
    text->len = 0;
    text->cap = 0;
    text->failed = false;
}

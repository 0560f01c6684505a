#include "line_buffer.h"

#include <stdlib.h>
#include <string.h>

bool shim_line_buffer_init(ShimLineBuffer* buffer, size_t max_line) {
    buffer->m_max_line = max_line > 0 ? max_line : 1;
    buffer->m_partial_size = 0;
    buffer->m_partial = malloc(buffer->m_max_line);
    return buffer->m_partial != NULL;
}

void shim_line_buffer_feed(ShimLineBuffer* buffer, const char* data, size_t size, ShimLineSink sink, void* context) {
    while (size > 0) {
        const char* newline = memchr(data, '\n', size);
        size_t take = newline ? (size_t)(newline - data) : size;
        /* Fill the partial line up to the limit; emit a full piece without waiting for '\n'. */
        size_t room = buffer->m_max_line - buffer->m_partial_size;
        if (take >= room) {
            memcpy(buffer->m_partial + buffer->m_partial_size, data, room);
            sink(context, buffer->m_partial, buffer->m_max_line);
            buffer->m_partial_size = 0;
            data += room;
            size -= room;
            /* A newline right at the cut ends this line, not a new empty one. */
            if (take == room && newline) {
                data += 1;
                size -= 1;
            }
            continue;
        }
        memcpy(buffer->m_partial + buffer->m_partial_size, data, take);
        buffer->m_partial_size += take;
        if (!newline) return;
        sink(context, buffer->m_partial, buffer->m_partial_size);
        buffer->m_partial_size = 0;
        data += take + 1;
        size -= take + 1;
    }
}

void shim_line_buffer_flush(ShimLineBuffer* buffer, ShimLineSink sink, void* context) {
    if (buffer->m_partial_size == 0) return;
    sink(context, buffer->m_partial, buffer->m_partial_size);
    buffer->m_partial_size = 0;
}

bool shim_line_buffer_pending(const ShimLineBuffer* buffer) { return buffer->m_partial_size > 0; }

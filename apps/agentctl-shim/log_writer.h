#pragma once
/* The agent's log file: every line stamped with the UTC time, appended, rotated by size. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text_buffer.h"

/** Appends stamped lines to one log file and rotates it (log -> log.1 -> ... -> log.<keep>). */
typedef struct ShimLogWriter {
    const char* m_path;
    uint64_t m_max_bytes;
    int m_keep;
    int m_fd;
    uint64_t m_size;
    TextBuffer m_line;  /**< reused for every line: one allocation for the shim's life */
    TextBuffer m_note;
} ShimLogWriter;

/** A writer for `path` (kept, not copied); nothing is opened until shim_log_open. */
void shim_log_init(ShimLogWriter* log, const char* path, uint64_t max_bytes, int keep);

/** Creates missing parent directories (0700) and opens the file (append, 0600); false with the
 * reason in `error` on failure. */
bool shim_log_open(ShimLogWriter* log, TextBuffer* error);

/** Appends "<stamp> <text>\n"; `text` holds no newline. Write errors are dropped: the agent
 * must keep running even on a full disk. */
void shim_log_write_line(ShimLogWriter* log, const char* text, size_t size);

/** Appends one of the shim's own notes, "[agentctl-shim] <printf text>". */
void shim_log_note(ShimLogWriter* log, const char* format, ...) __attribute__((format(printf, 2, 3)));

/** Closes the file and frees the buffers. */
void shim_log_close(ShimLogWriter* log);

/** Creates `dir` and its missing parents with mode 0700; returns false (errno set) on failure. */
bool shim_make_directories(const char* dir);

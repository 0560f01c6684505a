#include "log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error_text.h"
#include "time_text.h"

static bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= (size_t)n;
    }
    return true;
}

/* `dir` is a private, writable copy: parents are found by cutting it at its last '/'. */
static bool make_directories_in(char* dir) {
    if (dir[0] == '\0' || strcmp(dir, "/") == 0) return true;
    struct stat info;
    if (stat(dir, &info) == 0) {
        if (S_ISDIR(info.st_mode)) return true;
        errno = ENOTDIR;
        return false;
    }
    char* slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        bool made = make_directories_in(dir);
        *slash = '/';
        if (!made) return false;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
    return true;
}

bool shim_make_directories(const char* dir) {
    char* copy = strdup(dir);
    if (!copy) return false;
    bool made = make_directories_in(copy);
    int saved = errno;
    free(copy);
    errno = saved;
    return made;
}

/* The directory part of `path` ("" when it has none, "/" for a file in the root). */
static bool make_parent_directories(const char* path) {
    const char* slash = strrchr(path, '/');
    if (!slash || slash == path) return true;
    char* parent = strndup(path, (size_t)(slash - path));
    if (!parent) return false;
    bool made = make_directories_in(parent);
    int saved = errno;
    free(parent);
    errno = saved;
    return made;
}

void shim_log_init(ShimLogWriter* log, const char* path, uint64_t max_bytes, int keep) {
    *log = (ShimLogWriter){.m_path = path, .m_max_bytes = max_bytes, .m_keep = keep, .m_fd = -1};
}

bool shim_log_open(ShimLogWriter* log, TextBuffer* error) {
    if (!make_parent_directories(log->m_path)) {
        text_printf(error, "log directory of %s: %s", log->m_path, shim_error_text(errno));
        return false;
    }
    int fd = open(log->m_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        text_printf(error, "log %s: %s", log->m_path, shim_error_text(errno));
        return false;
    }
    if (log->m_fd >= 0) close(log->m_fd);
    log->m_fd = fd;
    struct stat info;
    log->m_size = fstat(fd, &info) == 0 ? (uint64_t)info.st_size : 0;
    return true;
}

static void rotate(ShimLogWriter* log) {
    close(log->m_fd);
    log->m_fd = -1;
    if (log->m_keep <= 0) {
        unlink(log->m_path);
    } else {
        TextBuffer from = TEXT_BUFFER_INIT;
        TextBuffer to = TEXT_BUFFER_INIT;
        /* rename() replaces the oldest file, so log.<keep> simply falls off the end. */
        for (int i = log->m_keep - 1; i >= 0; --i) {
            text_clear(&from);
            text_clear(&to);
            if (i == 0) text_puts(&from, log->m_path);
            else text_printf(&from, "%s.%d", log->m_path, i);
            text_printf(&to, "%s.%d", log->m_path, i + 1);
            if (!from.failed && !to.failed) rename(from.data, to.data);
        }
        text_free(&from);
        text_free(&to);
    }
    TextBuffer ignored = TEXT_BUFFER_INIT;
    shim_log_open(log, &ignored);
    text_free(&ignored);
}

void shim_log_write_line(ShimLogWriter* log, const char* text, size_t size) {
    if (log->m_fd < 0) return;
    char stamp[SHIM_STAMP_SIZE];
    struct timespec now = shim_wall_clock_now();
    shim_utc_micros(&now, stamp);
    TextBuffer* line = &log->m_line;
    text_clear(line);
    text_puts(line, stamp);
    text_append(line, " ", 1);
    text_append(line, text, size);
    /* Out of memory: this line is lost, the agent keeps running. */
    if (!text_append(line, "\n", 1)) return;
    /* Rotate before a line would carry the file past the limit, so files stay under it
     * (a single line longer than the limit still goes whole into a fresh file). */
    if (log->m_max_bytes > 0 && log->m_size > 0 && log->m_size + line->len > log->m_max_bytes) rotate(log);
    if (log->m_fd < 0) return;
    /* One write() per line: with O_APPEND a reader never sees two lines interleaved. */
    if (write_all(log->m_fd, line->data, line->len)) log->m_size += line->len;
}

void shim_log_note(ShimLogWriter* log, const char* format, ...) {
    TextBuffer* note = &log->m_note;
    text_clear(note);
    text_puts(note, "[agentctl-shim] ");
    va_list args;
    va_start(args, format);
    bool ok = text_vprintf(note, format, args);
    va_end(args);
    if (ok) shim_log_write_line(log, note->data, note->len);
}

void shim_log_close(ShimLogWriter* log) {
    if (log->m_fd >= 0) close(log->m_fd);
    log->m_fd = -1;
    text_free(&log->m_line);
    text_free(&log->m_note);
}

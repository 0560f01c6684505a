#include "proc_stat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t shim_process_start_time(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    /* Field 22 always lies within the first ~600 bytes (pid, a command name of at most 64
     * bytes, then 19 numbers of at most 20 digits): a cut tail never reaches it. */
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return 0;
    buffer[n] = '\0';
    /* The command name (field 2) may contain spaces and ')': fields resume after the last ')'. */
    const char* cursor = strrchr(buffer, ')');
    if (!cursor) return 0;
    ++cursor;
    for (int field = 3; field < 22; ++field) {
        while (*cursor == ' ') ++cursor;
        while (*cursor && *cursor != ' ') ++cursor;
    }
    while (*cursor == ' ') ++cursor;
    return strtoull(cursor, NULL, 10);
}

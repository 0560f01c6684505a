#include "proc_stat.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace agentctl::shim {

std::uint64_t process_start_time(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buffer[1024];
    ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buffer[n] = '\0';
    // The command name (field 2) may contain spaces and ')': fields resume after the last ')'.
    const char* cursor = std::strrchr(buffer, ')');
    if (!cursor) return 0;
    ++cursor;
    for (int field = 3; field < 22; ++field) {
        while (*cursor == ' ') ++cursor;
        while (*cursor && *cursor != ' ') ++cursor;
    }
    while (*cursor == ' ') ++cursor;
    return std::strtoull(cursor, nullptr, 10);
}

}  // namespace agentctl::shim

#include "util/process.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace agentctl::util {

std::optional<std::uint64_t> process_start_time(int pid) {
    if (pid <= 0) return std::nullopt;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    std::FILE* file = std::fopen(path, "re");
    if (!file) return std::nullopt;
    char buffer[1024];
    std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
    std::fclose(file);
    buffer[n] = '\0';
    // The command name (field 2) is in parentheses and may itself contain spaces and ')':
    // fields resume after the LAST ')'.
    const char* close = std::strrchr(buffer, ')');
    if (!close) return std::nullopt;
    const char* cursor = close + 1;
    // Field 3 is the state; field 22 is 19 fields further on.
    char state = 0;
    int field = 2;
    while (*cursor && field < 22) {
        while (*cursor == ' ') ++cursor;
        ++field;
        if (field == 3) state = *cursor;
        if (field == 22) break;
        while (*cursor && *cursor != ' ') ++cursor;
    }
    if (field != 22 || state == 'Z' || state == 'X') return std::nullopt;
    char* end = nullptr;
    unsigned long long start = std::strtoull(cursor, &end, 10);
    if (end == cursor) return std::nullopt;
    return static_cast<std::uint64_t>(start);
}

std::optional<ProcessRef> process_ref(int pid) {
    auto start = process_start_time(pid);
    if (!start) return std::nullopt;
    return ProcessRef{pid, *start};
}

bool process_matches(const ProcessRef& ref) {
    if (ref.empty()) return false;
    auto start = process_start_time(ref.pid);
    return start && *start == ref.start_time;
}

std::string boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

}  // namespace agentctl::util

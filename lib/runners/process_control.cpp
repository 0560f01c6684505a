#include "runners/process_control.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace agentctl::runners {

namespace {

struct SignalName {
    const char* name;
    int number;
};

constexpr SignalName k_signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},   {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

// State, parent and start time of `pid` from /proc/PID/stat, zombies included.
struct StatFields {
    char state = 0;
    int parent = 0;
    std::uint64_t start_time = 0;
};

std::optional<StatFields> read_stat(int pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    std::FILE* file = std::fopen(path, "re");
    if (!file) return std::nullopt;
    char buffer[1024];
    std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
    std::fclose(file);
    buffer[n] = '\0';
    const char* cursor = std::strrchr(buffer, ')');
    if (!cursor) return std::nullopt;
    StatFields fields;
    ++cursor;
    for (int field = 3; field <= 22; ++field) {
        while (*cursor == ' ') ++cursor;
        if (!*cursor) return std::nullopt;
        if (field == 3) fields.state = *cursor;
        if (field == 4) fields.parent = std::atoi(cursor);
        if (field == 22) fields.start_time = std::strtoull(cursor, nullptr, 10);
        while (*cursor && *cursor != ' ') ++cursor;
    }
    return fields;
}

}  // namespace

std::optional<int> signal_number(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::isdigit(c); })) {
        int number = std::atoi(name.c_str());
        if (number > 0 && number < NSIG) return number;
        return std::nullopt;
    }
    std::string upper;
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
    for (const auto& entry : k_signals) {
        if (upper == entry.name) return entry.number;
    }
    return std::nullopt;
}

bool signal_group(const util::ProcessRef& ref, int signal) {
    if (ref.empty()) return false;
    if (::kill(-ref.pid, signal) == 0) return true;
    // The agent may have moved itself into a group of its own (setsid): signal it alone.
    return errno == ESRCH && ::kill(ref.pid, signal) == 0;
}

void reap_if_own_zombie(const util::ProcessRef& ref) {
    if (ref.empty()) return;
    auto fields = read_stat(ref.pid);
    if (!fields || fields->state != 'Z' || fields->parent != ::getpid() || fields->start_time != ref.start_time) {
        return;
    }
    ::waitpid(ref.pid, nullptr, WNOHANG);
}

bool wait_until_gone(const util::ProcessRef& ref, util::Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(2);
    for (;;) {
        if (!util::process_matches(ref)) {
            reap_if_own_zombie(ref);
            return true;
        }
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

}  // namespace agentctl::runners

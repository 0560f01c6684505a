#include "state/crash_hook.hpp"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>

#include "state/state_store.hpp"

namespace agentctl::state {
namespace {

constexpr std::int64_t k_unread = -1;
constexpr std::int64_t k_disabled = 0;

std::atomic<std::uint64_t> g_committed{0};
std::atomic<std::int64_t> g_crash_at{k_unread};

// A forked child is another process: it starts counting from zero and reads the variable
// afresh (tests fork a child and set the variable there, after the parent has committed).
void reset_in_child() {
    g_committed.store(0);
    g_crash_at.store(k_unread);
}

std::int64_t parse_crash_at() {
    const char* text = std::getenv("AGENTCTL_CRASH_AT_WRITE");
    if (text == nullptr || *text == '\0') return k_disabled;
    char* end = nullptr;
    const long long value = std::strtoll(text, &end, 10);
    // A malformed value disables the hook rather than crashing at a write nobody asked for.
    if (end == text || *end != '\0' || value <= 0) return k_disabled;
    return static_cast<std::int64_t>(value);
}

std::int64_t crash_at() {
    static std::once_flag registered;
    std::call_once(registered, [] { ::pthread_atfork(nullptr, nullptr, reset_in_child); });
    std::int64_t value = g_crash_at.load();
    if (value == k_unread) {
        value = parse_crash_at();
        g_crash_at.store(value);
    }
    return value;
}

}  // namespace

void note_state_write_committed() {
    const std::int64_t limit = crash_at();
    const std::uint64_t count = ++g_committed;
    if (limit != k_disabled && count == static_cast<std::uint64_t>(limit)) std::raise(SIGKILL);
}

std::uint64_t state_writes_committed() {
    return g_committed.load();
}

}  // namespace agentctl::state

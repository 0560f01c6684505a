#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace agentctl::cli {
namespace {

// Lock-free, so reading and writing it from a signal handler is safe.
std::atomic<int> g_signals{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal counter must be lock-free");

struct sigaction g_old_int {};
struct sigaction g_old_term {};

extern "C" void count_signal(int /*signal*/) {
    if (g_signals.fetch_add(1) + 1 >= 3) {
        static const char message[] = "\nagentctl: interrupted three times: leaving now\n";
        (void)!::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(130);
    }
}

}  // namespace

InterruptScope::InterruptScope() {
    g_signals.store(0);
    struct sigaction action {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    // SA_RESTART: library calls (SQLite, libcurl, pipes) must not see EINTR; every wait polls
    // the flag at least every few tens of milliseconds anyway.
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &g_old_int);
    ::sigaction(SIGTERM, &action, &g_old_term);
}

InterruptScope::~InterruptScope() {
    ::sigaction(SIGINT, &g_old_int, nullptr);
    ::sigaction(SIGTERM, &g_old_term, nullptr);
}

bool interrupt_requested() { return g_signals.load() > 0; }

}  // namespace agentctl::cli

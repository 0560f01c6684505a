#include "signal_pipe.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace agentctl::shim {

namespace {

volatile sig_atomic_t g_write_fd = -1;

extern "C" void on_signal(int signal) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signal);
    // A full pipe drops the byte; SIGCHLD is idempotent and forwarded signals repeat rarely.
    [[maybe_unused]] ssize_t ignored = ::write(g_write_fd, &byte, 1);
    errno = saved;
}

}  // namespace

const std::vector<int>& forwarded_signals() {
    static const std::vector<int> k_signals = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    return k_signals;
}

bool SignalPipe::install() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
    m_read_fd = fds[0];
    g_write_fd = fds[1];
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    std::vector<int> handled = forwarded_signals();
    handled.push_back(SIGCHLD);
    for (int signal : handled) {
        if (::sigaction(signal, &action, nullptr) != 0) return false;
    }
    // A launcher that closed its end of the handshake pipe must not kill the shim.
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}

std::vector<int> SignalPipe::take() {
    std::vector<int> signals;
    unsigned char buffer[64];
    for (;;) {
        ssize_t n = ::read(m_read_fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; ++i) signals.push_back(buffer[i]);
    }
    return signals;
}

void reset_signals_for_child() {
    for (int signal : forwarded_signals()) std::signal(signal, SIG_DFL);
    std::signal(SIGCHLD, SIG_DFL);
    std::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace agentctl::shim

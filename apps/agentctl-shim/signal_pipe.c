#include "signal_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

const int k_shim_forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
const size_t k_shim_forwarded_count = sizeof k_shim_forwarded_signals / sizeof k_shim_forwarded_signals[0];

static volatile sig_atomic_t g_write_fd = -1;

static void on_signal(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    /* A full pipe drops the byte; SIGCHLD is idempotent and forwarded signals repeat rarely. */
    ssize_t ignored = write(g_write_fd, &byte, 1);
    (void)ignored;
    errno = saved;
}

static int set_disposition(int signal, void (*handler)(int)) {
    struct sigaction action = {0};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = handler == on_signal ? SA_RESTART : 0;
    return sigaction(signal, &action, NULL);
}

int shim_signal_pipe_install(void) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    g_write_fd = fds[1];
    for (size_t i = 0; i < k_shim_forwarded_count; ++i) {
        if (set_disposition(k_shim_forwarded_signals[i], on_signal) != 0) return -1;
    }
    if (set_disposition(SIGCHLD, on_signal) != 0) return -1;
    /* A launcher that closed its end of the handshake pipe must not kill the shim. */
    set_disposition(SIGPIPE, SIG_IGN);
    return fds[0];
}

size_t shim_signal_pipe_take(int read_fd, unsigned char* signals, size_t capacity) {
    for (;;) {
        ssize_t n = read(read_fd, signals, capacity);
        if (n < 0 && errno == EINTR) continue;
        return n > 0 ? (size_t)n : 0;
    }
}

void shim_reset_signals_for_child(void) {
    for (size_t i = 0; i < k_shim_forwarded_count; ++i) set_disposition(k_shim_forwarded_signals[i], SIG_DFL);
    set_disposition(SIGCHLD, SIG_DFL);
    set_disposition(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

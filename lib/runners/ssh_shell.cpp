// SshSession's long-lived shells (the contract is in ssh_session.hpp; the framing in
// ssh_shell_framing.hpp): one exec channel costs sshd ~100 ms of CPU, a script sent to a shell
// that already runs costs a fork, so every script of a run goes to the same `sh -s`.

#include <thread>

#include "runners/ssh_session_impl.hpp"
#include "runners/ssh_shell_framing.hpp"

namespace agentctl::runners {

namespace {

using SteadyClock = std::chrono::steady_clock;

// How long a script waits for a busy shell before it gets one of its own: longer than the
// usual script (so one shell serves a whole deploy), short enough that slow stops on one
// host still overlap.
constexpr auto k_shell_wait = std::chrono::milliseconds(1000);
// Shells one session keeps at most: the rest of its channel slots stay free for SFTP and
// commands with stdin data.
constexpr std::size_t k_max_shells = 4;
// How long ending a shell may take when the session closes.
constexpr auto k_shell_exit_wait = std::chrono::seconds(2);

}  // namespace

SshShell& SshSession::acquire_shell() {
    std::unique_lock<std::mutex> lock(m_impl->shells_mutex);
    const auto patience = SteadyClock::now() + k_shell_wait;
    for (;;) {
        for (auto& shell : m_impl->shells) {
            if (!shell->busy) {
                shell->busy = true;
                return *shell;
            }
        }
        const bool waited_enough = SteadyClock::now() >= patience;
        if (m_impl->shells.empty() || (waited_enough && m_impl->shells.size() < k_max_shells)) {
            m_impl->shells.push_back(std::make_unique<SshShell>());
            m_impl->shells.back()->busy = true;
            return *m_impl->shells.back();
        }
        if (waited_enough) {
            m_impl->shell_free.wait(lock);
        } else {
            m_impl->shell_free.wait_until(lock, patience);
        }
    }
}

void SshSession::release_shell(SshShell& shell) {
    {
        std::lock_guard<std::mutex> lock(m_impl->shells_mutex);
        shell.busy = false;
    }
    m_impl->shell_free.notify_one();
}

void SshSession::open_shell(SshShell& shell) {
    acquire_channel();
    std::lock_guard<std::mutex> lock(m_mutex);
    ssh_session s = m_impl->session;
    ssh_channel channel = ssh_channel_new(s);
    if (channel && ssh_channel_open_session(channel) == SSH_OK && ssh_channel_request_exec(channel, "sh -s") == SSH_OK) {
        shell.channel = channel;
        shell.marker = new_shell_marker();
        return;
    }
    const std::string why = ssh_get_error(s);
    if (channel) ssh_channel_free(channel);
    release_channel();
    throw HostError("cannot start a shell on " + describe_target(m_target) + ": " + why, false);
}

void SshSession::close_shell(SshShell& shell) {
    if (!shell.channel) return;
    ssh_channel_close(shell.channel);
    ssh_channel_free(shell.channel);
    shell.channel = nullptr;
    release_channel();
}

HostResult SshSession::run_in_shell(const std::string& script, util::Millis timeout, std::size_t max_output) {
    SshShell& shell = acquire_shell();
    struct Release {
        SshSession& session;
        SshShell& shell;
        ~Release() { session.release_shell(shell); }
    } release{*this, shell};
    const auto deadline = SteadyClock::now() + timeout;
    if (!shell.channel) open_shell(shell);
    std::unique_lock<std::mutex> lock(m_mutex);
    ssh_session s = m_impl->session;
    ssh_channel channel = shell.channel;
    // Any way out but a complete answer leaves the shell in an unknown state: a fresh one next.
    auto fail = [&](const std::string& what) {
        const std::string why = ssh_get_error(s);
        close_shell(shell);
        throw HostError(what + " " + describe_target(m_target) + ": " + why, false);
    };
    const std::string framed = frame_shell_script(script, shell.marker);
    if (ssh_channel_write(channel, framed.data(), static_cast<uint32_t>(framed.size())) == SSH_ERROR) {
        fail("cannot send a script to");
    }
    ShellStreamReader out(shell.marker, max_output);
    ShellStreamReader err(shell.marker, max_output);
    char buffer[16384];
    // Non-blocking reads with the session unlocked in between, so that other threads' channels
    // on this session make progress meanwhile.
    auto drain = [&](int is_stderr, ShellStreamReader& into) {
        int total = 0;
        while (!into.done()) {
            int n = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, is_stderr);
            if (n == SSH_ERROR) fail("connection lost to");
            if (n <= 0) break;
            into.feed(buffer, static_cast<std::size_t>(n));
            total += n;
        }
        return total;
    };
    HostResult result;
    for (;;) {
        int got = drain(0, out) + drain(1, err);
        if (out.done() && err.done()) break;
        if (got == 0 && (ssh_channel_is_eof(channel) || ssh_channel_is_closed(channel))) {
            close_shell(shell);
            throw HostError("the shell on " + describe_target(m_target) + " ended before its script did", false);
        }
        if (SteadyClock::now() >= deadline) {
            // The script may still run there; its late output must not answer the next one.
            close_shell(shell);
            result.out = out.output();
            result.err = err.output();
            result.timed_out = true;
            return result;
        }
        if (got == 0) {
            lock.unlock();
            std::this_thread::sleep_for(k_poll_pause);
            lock.lock();
        }
    }
    result.out = out.output();
    result.err = err.output();
    result.exit_status = out.status().value_or(-1);
    return result;
}

void SshSession::Impl::end_shells() {
    // End of input ends a shell; waiting for that (bounded) means no remote `sh` outlives the
    // run, so whoever looks at the host right after agentctl exits finds none.
    for (auto& shell : shells) {
        if (shell->channel) ssh_channel_send_eof(shell->channel);
    }
    const auto deadline = SteadyClock::now() + k_shell_exit_wait;
    char unread[4096];
    for (auto& shell : shells) {
        ssh_channel channel = shell->channel;
        if (!channel) continue;
        while (!ssh_channel_is_closed(channel) && SteadyClock::now() < deadline) {
            const int polled = ssh_channel_poll_timeout(channel, 50, 0);
            if (polled == SSH_EOF || polled == SSH_ERROR) break;
            // Output nobody waits for any more must not keep the poll busy.
            while (ssh_channel_read_nonblocking(channel, unread, sizeof unread, 0) > 0) {}
            while (ssh_channel_read_nonblocking(channel, unread, sizeof unread, 1) > 0) {}
        }
        ssh_channel_close(channel);
        ssh_channel_free(channel);
        shell->channel = nullptr;
    }
}

}  // namespace agentctl::runners

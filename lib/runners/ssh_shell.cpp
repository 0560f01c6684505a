// SshSession's long-lived shells (the contract is in ssh_session.hpp; the framing in
// ssh_shell_framing.hpp): one exec channel costs sshd ~100 ms of CPU, a script sent to a shell
// that already runs costs a fork, so every script of a run goes to the same `sh -s`.

#include <thread>

#include "runners/ssh_session_impl.hpp"
#include "runners/ssh_shell_framing.hpp"
#include "util/duration.hpp"

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
// Prints the process group of the shell it runs in (the subshell's $$ is the shell's pid).
constexpr const char* k_group_script =
    "g=\n{ read -r g < /proc/$$/stat; } 2>/dev/null\ng=${g##*) }\nset -- $g\nprintf '%s\\n' \"${3:-}\"";

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
    std::unique_lock<std::mutex> lock(m_mutex);
    ssh_session s = m_impl->session;
    ssh_channel channel = ssh_channel_new(s);
    if (!channel || ssh_channel_open_session(channel) != SSH_OK || ssh_channel_request_exec(channel, "sh -s") != SSH_OK) {
        const std::string why = ssh_get_error(s);
        if (channel) ssh_channel_free(channel);
        release_channel();
        throw HostError("cannot start a shell on " + describe_target(m_target) + ": " + why, false);
    }
    shell.channel = channel;
    shell.marker = new_shell_marker();
    // Its process group (sshd made the session's shell lead one): what a timeout kills.
    HostResult group = exchange(shell, lock, k_group_script, m_target.timeout, 64);
    if (group.timed_out) {
        close_shell(shell);
        throw HostError("timed out after " + util::format_duration(m_target.timeout) + " starting a shell on " +
                            describe_target(m_target),
                        true);
    }
    shell.group = group.out.find_first_not_of("0123456789\n") == std::string::npos ? group.out : "";
    if (!shell.group.empty() && shell.group.back() == '\n') shell.group.pop_back();
}

void SshSession::close_shell(SshShell& shell) {
    if (!shell.channel) return;
    ssh_channel_close(shell.channel);
    ssh_channel_free(shell.channel);
    shell.channel = nullptr;
    release_channel();
}

HostResult SshSession::exchange(SshShell& shell, std::unique_lock<std::mutex>& lock, const std::string& script,
                                util::Millis timeout, std::size_t max_output) {
    const auto deadline = SteadyClock::now() + timeout;
    ssh_session s = m_impl->session;
    ssh_channel channel = shell.channel;
    // Any way out but an answer or a timeout leaves the shell unusable: a fresh one next.
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

void SshSession::replace_stuck_shell(SshShell& shell, std::unique_lock<std::mutex>& lock) {
    SshShell stuck;
    stuck.channel = shell.channel;
    stuck.group = shell.group;
    shell.channel = nullptr;
    lock.unlock();
    try {
        open_shell(shell);
        lock.lock();
        // The stuck shell cannot have exited (its input is still open), so its group is still
        // the one it reported: never a recycled id.
        if (!stuck.group.empty() && stuck.group != "0" && stuck.group != "1" && stuck.group != shell.group) {
            exchange(shell, lock, "kill -s KILL -- -" + stuck.group, m_target.timeout, 4096);
        }
    } catch (const HostError&) {
        // Best effort: the next script opens a shell of its own when this one failed.
        if (!lock.owns_lock()) lock.lock();
    }
    close_shell(stuck);
}

HostResult SshSession::run_in_shell(const std::string& script, util::Millis timeout, std::size_t max_output) {
    SshShell& shell = acquire_shell();
    struct Release {
        SshSession& session;
        SshShell& shell;
        ~Release() { session.release_shell(shell); }
    } release{*this, shell};
    if (!shell.channel) open_shell(shell);
    std::unique_lock<std::mutex> lock(m_mutex);
    HostResult result = exchange(shell, lock, script, timeout, max_output);
    // The script may still run there: its late output must not answer the next script.
    if (result.timed_out) replace_stuck_shell(shell, lock);
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

#pragma once
// One authenticated SSH connection to one host (DESIGN.md §4 "SSH"): host-key checking against
// a known_hosts file, authentication in a fixed order, scripts over one long-lived shell
// channel (commands with stdin data over exec channels) and files over SFTP. libssh appears only in ssh_session.cpp.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runners/host.hpp"

namespace agentctl::runners {

struct SshShell;

/// Everything needed to reach one host, already resolved (the job, then ssh_config, then
/// built-ins).
struct SshTarget {
    std::string alias;                        ///< the host as the job names it (shown in messages)
    std::string host_name;                    ///< what to connect to (ssh_config HostName)
    std::string user;
    int port = 22;
    std::vector<std::string> identity_files;  ///< the configured key(s), tried first
    std::string password;                     ///< from ${VAR} only; empty: none (a secret)
    util::Millis timeout{30000};              ///< connect, key exchange and authentication
    std::string known_hosts;                  ///< the known_hosts file (never empty)
    bool accept_new_host_keys = false;        ///< an unknown key is written to known_hosts
};

/// "alias (user@host:port)" for messages.
std::string describe_target(const SshTarget& target);

/// An open, authenticated session. Thread-safe: libssh calls on it are serialized by a mutex,
/// while up to 8 channels (commands, SFTP) are open at once, each polled without blocking.
class SshSession {
public:
    /// Connects, checks the host key and authenticates; throws HostError (timed_out for a
    /// timeout) naming the host, the key type and SHA256 fingerprint on a host-key refusal.
    static std::unique_ptr<SshSession> open(const SshTarget& target);
    ~SshSession();
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    /// Runs `command_line` (already quoted; interpreted by the user's login shell) with `input`
    /// on its stdin; a command past its timeout is a result with timed_out set. Throws
    /// HostError when the connection fails.
    HostResult run(const std::string& command_line, const std::string& input, util::Millis timeout,
                   std::size_t max_output);

    /// Runs `script` in one of the session's long-lived shells (`sh -s` on a channel opened on
    /// first use and kept; ssh_shell_framing.hpp), each script in a subshell with stdin from
    /// /dev/null, its text on the shell's stdin (never a command line). Scripts take turns in
    /// one shell; one that would wait past ~1 s for it gets another shell (so slow scripts on
    /// one host still run side by side). A script past its timeout is a result with timed_out
    /// set; the timeout or a protocol error closes that shell and the next script opens a
    /// fresh one. Throws HostError when the connection fails.
    HostResult run_in_shell(const std::string& script, util::Millis timeout, std::size_t max_output);

    /// Writes `content` to `path` over SFTP: parent directories created 0700, a temporary name
    /// in the same directory, `mode`, then renamed into place. Throws HostError on failure.
    void write_file(const std::string& path, const std::string& content, unsigned mode);

    /// The target this session was opened for.
    const SshTarget& target() const { return m_target; }

private:
    struct Impl;
    class ChannelSlot;
    /// Runs one command over a new channel; `lock` holds m_mutex and is released only while
    /// waiting for output.
    HostResult run_channel(std::unique_lock<std::mutex>& lock, const std::string& command_line,
                           const std::string& input, util::Millis timeout, std::size_t max_output);
    /// Uploads `content` to `temporary` (parents created 0700, `mode`) and renames it to `path`;
    /// false when the rename was refused because `path` exists. Needs m_mutex held.
    bool sftp_upload(const std::string& path, const std::string& temporary, const std::string& content, unsigned mode);
    /// A shell no other script uses (its channel may still have to be opened).
    SshShell& acquire_shell();
    void release_shell(SshShell& shell);
    /// Opens `shell`'s channel (a channel slot, then m_mutex) and learns its process group.
    void open_shell(SshShell& shell);
    /// Sends one framed script to `shell` and reads its answer; `lock` holds m_mutex and is
    /// released only while waiting. A timeout is a result (the shell left open); a protocol
    /// error closes the shell and throws HostError.
    HostResult exchange(SshShell& shell, std::unique_lock<std::mutex>& lock, const std::string& script,
                        util::Millis timeout, std::size_t max_output);
    /// Ends a shell whose script timed out: a fresh shell takes its place in `shell` and kills
    /// the old one's process group (the script and what it started), then the old channel is
    /// closed. Best effort; `lock` holds m_mutex.
    void replace_stuck_shell(SshShell& shell, std::unique_lock<std::mutex>& lock);
    /// Closes `shell`'s channel (if open) and frees its slot; needs m_mutex held.
    void close_shell(SshShell& shell);
    void acquire_channel();
    void release_channel();
    SshSession(SshTarget target, std::unique_ptr<Impl> impl);
    SshTarget m_target;
    std::unique_ptr<Impl> m_impl;
    std::mutex m_mutex;  ///< every libssh call on the session
    std::mutex m_channels_mutex;
    std::condition_variable m_channels_free;
    int m_open_channels = 0;
};

}  // namespace agentctl::runners

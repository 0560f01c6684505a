#pragma once
// Internal to lib/runners, included by ssh_session.cpp (connection, exec channels, SFTP) and
// ssh_shell.cpp (the long-lived shells) only, never from another header: the libssh state
// behind SshSession.

#include <libssh/libssh.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runners/ssh_session.hpp"

namespace agentctl::runners {

/// Channels one session keeps open at once (sshd's MaxSessions default is 10).
constexpr int k_max_channels = 8;
/// How long a waiting command sleeps between polls of its channel, the session unlocked.
constexpr auto k_poll_pause = std::chrono::milliseconds(2);

/// One long-lived `sh -s` channel of a session.
struct SshShell {
    ssh_channel channel = nullptr;  ///< null until first used, and after a timeout or an error
    std::string marker;             ///< this shell's end-of-script marker
    std::string group;              ///< its remote process group (digits; empty when unknown)
    bool busy = false;              ///< a script runs in it (guarded by Impl::shells_mutex)
};

/// The session and its shells.
struct SshSession::Impl {
    ssh_session session = nullptr;
    std::mutex shells_mutex;  ///< `shells` and their busy flags; never held while waiting on libssh
    std::condition_variable shell_free;
    std::vector<std::unique_ptr<SshShell>> shells;  ///< usually one; more only under contention
    /// Ends every open shell (end of input, then a bounded wait for it to exit).
    void end_shells();
    ~Impl();
};

}  // namespace agentctl::runners

#pragma once
// The SSH side of the Host abstraction (host.hpp): which settings reach a host (the job, then
// ssh_config, then built-ins) and one shared session per host per agentctl run.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "runners/host.hpp"
#include "runners/ssh_session.hpp"
#include "util/ssh_config.hpp"

namespace agentctl::runners {

/// A host reached over a shared SshSession; commands are argv vectors quoted with
/// util::shell_join, run in the session's long-lived shell (one with stdin data gets its own
/// exec channel).
class SshHost : public Host {
public:
    /// A host that runs its commands through `session`.
    explicit SshHost(std::shared_ptr<SshSession> session);

    const std::string& name() const override { return m_session->target().alias; }
    bool is_local() const override { return false; }
    HostResult run(const HostCommand& command) override;
    void write_file(const std::string& path, const std::string& content, unsigned mode) override;

    /// Runs the POSIX sh `script` in the session's shell; its text travels on the channel's
    /// stdin, so it may carry secrets. A script past `timeout` is a result with timed_out set.
    HostResult run_script(const std::string& script, util::Millis timeout, std::size_t max_output);

    /// The session underneath (for scripts sent on stdin).
    SshSession& session() { return *m_session; }

private:
    std::shared_ptr<SshSession> m_session;
};

/// One agentctl run's SSH connections: opened on first use, one per host (alias + user + port),
/// shared by every agent and command on that host. A host that failed to connect is not tried
/// again in the same run (its error is repeated), so status never waits twice on a dead host.
class SshHostPool {
public:
    /// A pool that resolves hosts through `context.ssh_config` (empty: ~/.ssh/config) and
    /// checks keys against `context.known_hosts` (empty: ~/.ssh/known_hosts).
    explicit SshHostPool(const RunnerContext& context);

    /// The connection settings for `alias` with the job's `deployment` over ssh_config.
    SshTarget target_for(const std::string& alias, const spec::DeploymentSpec& deployment) const;

    /// The shared host for `target`, connecting on first use; throws HostError.
    std::shared_ptr<SshHost> host(const SshTarget& target);

private:
    struct Slot {
        std::mutex mutex;
        std::shared_ptr<SshHost> host;
        std::string error;
        bool timed_out = false;
    };
    util::SshConfig m_config;
    std::string m_known_hosts;
    bool m_accept_new = false;
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Slot>> m_slots;
};

}  // namespace agentctl::runners

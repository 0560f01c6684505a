#pragma once
// Docker engines on SSH hosts (DESIGN.md §4: a container agent with deployment.host runs on
// that host's engine, as Kamal does): the Docker runner's RemoteHostFactory over one SSH host
// pool per runner, so docker commands travel as argv quoted by util::shell_join over the
// shared session, with the same ssh_config, known_hosts and host-key rules as remote agents.

#include <string>

#include "runners/docker_runner.hpp"

namespace agentctl::runners {

/// A factory that reaches each named host through an SshHostPool made (on first use) from
/// `context` (--ssh-config, --known-hosts, --accept-new-host-keys).
RemoteHostFactory ssh_docker_hosts(const RunnerContext& context);

/// Where a container on a host reached at `host_name` publishes by default: that address when
/// it is an IP literal (so agentctl's machine reaches it there), else every address ("").
std::string default_publish_address(const std::string& host_name);

/// Whether `address` (a publish address or an ssh_config HostName) is a loopback address.
bool is_loopback_address(const std::string& address);

}  // namespace agentctl::runners

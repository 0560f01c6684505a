#pragma once
// What the SSH runner's files share (ssh_runner.cpp, ssh_inspect.cpp): remote paths, parallel
// hosts, scripts over a host, and the runner's view of a recorded instance. Internal to
// lib/runners.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runners/ssh_host.hpp"
#include "runners/ssh_runner.hpp"

namespace agentctl::runners {

/// Bytes of a script's output kept.
constexpr std::size_t k_ssh_max_output = 64 << 20;

/// A recorded instance's launch request and the host it runs on.
struct SshRunner::Remote {
    LaunchRequest request;
    SshTarget target;
    std::shared_ptr<SshHost> host;
};

/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(const std::string& data);
/// The bytes of the file at `path`; nullopt when it cannot be read.
std::optional<std::string> read_binary(const std::string& path);
/// This machine's `uname -m`.
std::string local_arch();
/// <job>/<instance>/r<revision> under the remote state dir (the revision from the local run dir).
std::string remote_run_dir(const LaunchRequest& request);
/// <job>/<instance>/agent.log under the remote state dir.
std::string remote_log(const LaunchRequest& request);
/// `path` as SFTP resolves it ("~/x" is x, relative to the login directory).
std::string sftp_path(const std::string& path);
/// Runs fn(0..count-1) on at most `parallel` threads at once.
void run_parallel(std::size_t count, int parallel, const std::function<void(std::size_t)>& fn);
/// Runs `script` in `host`'s shell (its text on the shell's stdin, never a command line).
HostResult run_script(SshHost& host, const std::string& script, util::Millis timeout);

}  // namespace agentctl::runners

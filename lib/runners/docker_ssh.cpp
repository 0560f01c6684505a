#include "runners/docker_ssh.hpp"

#include <arpa/inet.h>

#include <memory>
#include <mutex>

#include "runners/ssh_host.hpp"

namespace agentctl::runners {

std::string default_publish_address(const std::string& host_name) {
    unsigned char address[sizeof(in6_addr)];
    if (::inet_pton(AF_INET, host_name.c_str(), address) == 1) return host_name;
    // docker -p takes an IPv6 address in brackets.
    if (::inet_pton(AF_INET6, host_name.c_str(), address) == 1) return "[" + host_name + "]";
    // A DNS name: docker binds addresses, not names, and agentctl reaches the host through it.
    return "";
}

bool is_loopback_address(const std::string& address) {
    return address == "localhost" || address == "::1" || address == "[::1]" || address.rfind("127.", 0) == 0;
}

RemoteHostFactory ssh_docker_hosts(const RunnerContext& context) {
    struct Shared {
        RunnerContext context;
        std::once_flag once;
        std::unique_ptr<SshHostPool> pool;
    };
    auto shared = std::make_shared<Shared>();
    shared->context = context;
    return [shared](const std::string& host, const spec::DeploymentSpec& deployment) {
        // Made on first use: a job with no remote engine never reads ~/.ssh/config.
        std::call_once(shared->once, [&] { shared->pool = std::make_unique<SshHostPool>(shared->context); });
        SshTarget target = shared->pool->target_for(host, deployment);
        RemoteEngine engine;
        engine.host = shared->pool->host(target);
        engine.address = default_publish_address(target.host_name);
        engine.loopback = is_loopback_address(target.host_name);
        // The host's own state dir (as for remote agents), asked once per engine and run.
        HostCommand ask;
        ask.argv = {"sh", "-c", "printf %s \"${XDG_STATE_HOME:-$HOME/.local/state}\""};
        ask.timeout = target.timeout;
        HostResult state = engine.host->run(ask);
        if (state.exit_status != 0 || state.out.empty() || state.out[0] != '/') {
            throw HostError("cannot find agentctl's state directory on " + host + " (sh -c 'echo $HOME' failed: " +
                                (state.timed_out ? std::string("timed out") : state.err) + ")",
                            state.timed_out);
        }
        engine.env_dir = state.out + "/agentctl/docker";
        return engine;
    };
}

}  // namespace agentctl::runners

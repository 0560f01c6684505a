#pragma once
// The Docker runner's view of one engine (private to docker_runner.cpp and
// docker_instance_ops.cpp): the Host its docker commands run on and what the runner has
// learnt of it (images present, networks made, container states).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runners/docker_runner.hpp"

namespace agentctl::runners {

using SteadyClock = std::chrono::steady_clock;

// One engine: a host and what this runner knows of it.
struct DockerRunner::Engine {
    std::string name;
    std::shared_ptr<Host> host;
    std::string docker;
    std::string publish_address = "127.0.0.1";  // where a container without `publish` is published
    std::string env_dir;                         // a remote engine's dir for env files
    bool reached_over_loopback = true;           // false: the host's loopback is not agentctl's
    util::Millis timeout{60000};
    std::mutex mutex;
    std::set<std::string> images_present;  // found by preflight: start does not ask again
    std::set<std::string> networks_ready;  // known to exist: later waves do not ask again
    std::set<std::string> tracked;         // container ids whose state one batched inspect reads
    struct Cached {
        Inspection inspection;
        SteadyClock::time_point at;
    };
    std::map<std::string, Cached> states;
    std::map<std::string, std::optional<int>> removed;  // exit status of containers agentctl removed

    HostResult run(std::vector<std::string> args, util::Millis limit = util::Millis(0), std::string input = {}) {
        HostCommand command;
        command.argv.reserve(args.size() + 1);
        command.argv.push_back(docker);
        for (auto& arg : args) command.argv.push_back(std::move(arg));
        command.timeout = limit.count() > 0 ? limit : timeout;
        command.input = std::move(input);
        return host->run(command);
    }
};

}  // namespace agentctl::runners

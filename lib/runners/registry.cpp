// The kind -> factory table behind make_runner (runner.hpp): one row per target that deploys.

#include <memory>

#include "runners/docker_runner.hpp"
#include "runners/docker_ssh.hpp"
#include "runners/dry_run_runner.hpp"
#include "runners/local_runner.hpp"
#include "runners/runner.hpp"
#include "runners/ssh_runner.hpp"
#include "util/errors.hpp"

namespace agentctl::runners {

namespace {

using Factory = std::unique_ptr<Runner> (*)(const RunnerContext&);

struct RunnerKind {
    spec::Target target;
    Factory factory;
};

std::unique_ptr<Runner> make_local(const RunnerContext& context) { return std::make_unique<LocalRunner>(context); }
std::unique_ptr<Runner> make_docker(const RunnerContext& context) {
    return std::make_unique<DockerRunner>(context, ssh_docker_hosts(context));
}
std::unique_ptr<Runner> make_ssh(const RunnerContext& context) { return std::make_unique<SshRunner>(context); }

constexpr RunnerKind k_runner_kinds[] = {
    {spec::Target::localhost, make_local},
    {spec::Target::remote, make_ssh},
    {spec::Target::container, make_docker},
};

}  // namespace

std::unique_ptr<Runner> make_runner(spec::Target target, const RunnerContext& context) {
    if (context.dry_run) return std::make_unique<DryRunRunner>(target);
    for (const auto& kind : k_runner_kinds) {
        if (kind.target == target) return kind.factory(context);
    }
    throw util::OperationError(std::string("agentctl cannot deploy ") + spec::target_name(target) +
                               " agents yet (they validate and plan; `plan -o json` shows their URLs)");
}

}  // namespace agentctl::runners

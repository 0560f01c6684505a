#include "deploy/launch_builder.hpp"

#include <map>

namespace agentctl::deploy {

std::string expand_launch_refs(std::string_view arg, const VarLookup& lookup) {
    std::string out;
    out.reserve(arg.size());
    for (std::size_t i = 0; i < arg.size(); ++i) {
        if (arg[i] != '$' || i + 1 >= arg.size()) {
            out += arg[i];
            continue;
        }
        if (arg[i + 1] == '$' && i + 2 < arg.size() && arg[i + 2] == '(') {
            out += "$(";
            i += 2;
            continue;
        }
        if (arg[i + 1] == '(') {
            std::size_t close = arg.find(')', i + 2);
            if (close != std::string_view::npos) {
                std::string name(arg.substr(i + 2, close - i - 2));
                if (auto value = lookup(name)) {
                    out += *value;
                    i = close;
                    continue;
                }
            }
        }
        out += arg[i];
    }
    return out;
}

std::string run_dir_of(const std::string& state_dir, const std::string& job, const std::string& instance, int revision) {
    return state_dir + "/run/" + job + "/" + instance + "/r" + std::to_string(revision);
}

std::string log_path_of(const std::string& state_dir, const std::string& job, const std::string& instance) {
    return state_dir + "/logs/" + job + "/" + instance + ".log";
}

LaunchRecord build_launch(const plan::Plan& plan, const plan::PlannedAgent& agent, const plan::PlannedInstance& instance,
                          const LaunchPaths& paths, int revision, const VarLookup& inherited) {
    const spec::AgentSpec& spec = agent.spec;
    LaunchRecord record;
    runners::LaunchRequest& request = record.request;
    request.job = plan.job;
    request.agent = spec.id;
    request.instance = instance.name;
    request.target = spec.deployment.target;
    request.host = instance.host;
    request.environment = instance.environment;
    request.stop = spec.stop;
    request.restart = spec.restart;
    request.spec_hash = agent.spec_hash;
    request.port = spec.port;
    request.resources = spec.resources;
    request.deployment = spec.deployment;
    request.deployment.environment.clear();  // the final environment is request.environment
    // deployment.files sources are relative to the job file, as workdirs are (the runner copies them).
    for (auto& file : request.deployment.files) {
        if (!file.src.empty() && file.src[0] != '/') file.src = paths.job_dir + "/" + file.src;
    }
    request.run_dir = run_dir_of(paths.state_dir, plan.job, instance.name, revision);
    request.log_path = log_path_of(paths.state_dir, plan.job, instance.name);

    // $(VAR) sees the agent's final environment: the job-defined layers over the inherited one.
    std::map<std::string, std::string> defined;
    for (const auto& var : instance.environment) defined[var.name] = var.value;
    VarLookup lookup = [&defined, &inherited](const std::string& name) -> std::optional<std::string> {
        auto found = defined.find(name);
        if (found != defined.end()) return found->second;
        return inherited ? inherited(name) : std::nullopt;
    };
    if (!spec.module.empty()) {
        request.argv = {spec.deployment.python.empty() ? "python3" : spec.deployment.python, "-m", spec.module};
    } else {
        for (const auto& arg : spec.command) request.argv.push_back(expand_launch_refs(arg, lookup));
    }

    // Local workdirs are relative to the job file, as compose paths are; none given: its directory.
    const std::string& workdir = spec.deployment.workdir;
    if (spec.deployment.target == spec::Target::localhost) {
        if (workdir.empty()) {
            request.workdir = paths.job_dir;
        } else if (workdir[0] == '/') {
            request.workdir = workdir;
        } else {
            request.workdir = paths.job_dir + "/" + workdir;
        }
    } else {
        request.workdir = workdir;
    }
    // A container's relative host path ("./data:/data") is relative to the job file, as in compose.
    if (spec.deployment.target == spec::Target::container) {
        for (auto& volume : request.deployment.volumes) {
            if (volume.rfind("./", 0) == 0 || volume.rfind("../", 0) == 0) volume = paths.job_dir + "/" + volume;
        }
    }

    record.health = spec.health;
    record.url = instance.url;
    record.revision = revision;
    record.stage = static_cast<int>(agent.stage);
    return record;
}

}  // namespace agentctl::deploy

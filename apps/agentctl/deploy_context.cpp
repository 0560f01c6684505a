#include "deploy_context.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "console.hpp"
#include "deploy/agent_deployer.hpp"
#include "deploy/observer.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "runners/health_probe.hpp"
#include "runners/local_runner.hpp"
#include "runners/runner.hpp"
#include "state/state_dir.hpp"
#include "state/state_store.hpp"
#include "util/errors.hpp"

namespace agentctl::cli {

std::string state_dir_path(const GlobalOptions& globals) {
    return state::resolve_state_dir(state::state_dir_inputs_from_process(globals.state_dir));
}

bool state_db_exists(const std::string& state_dir) {
    struct stat info {};
    return ::stat((state_dir + "/state.db").c_str(), &info) == 0;
}

std::string shim_path_for_process() {
    const char* override = std::getenv("AGENTCTL_SHIM");
    if (override != nullptr && *override != '\0') return override;
    return runners::find_shim_executable();
}

std::unique_ptr<deploy::Observer> make_progress_observer(const std::string& progress, const GlobalOptions& globals) {
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    deploy::ProgressStyle style;
    if (progress == "auto") {
        style = terminal ? deploy::ProgressStyle::console : deploy::ProgressStyle::plain;
    } else if (progress == "console") {
        style = deploy::ProgressStyle::console;
    } else if (progress == "plain") {
        style = deploy::ProgressStyle::plain;
    } else if (progress == "json") {
        style = deploy::ProgressStyle::json;
    } else {
        throw util::UsageError("--progress must be auto, console, plain or json, not '" + progress + "'");
    }
    // -q silences people's progress; JSON events are for programs, which asked for them.
    if (globals.quiet && style != deploy::ProgressStyle::json) style = deploy::ProgressStyle::quiet;
    const bool color = Console::detect(globals.no_color).colored(Stream::err);
    return deploy::make_observer(style, std::cerr, color);
}

DeployContext::DeployContext(const GlobalOptions& globals, bool dry_run)
    : m_state_dir(state_dir_path(globals)),
      m_shim_path(shim_path_for_process()),
      m_known_hosts(globals.known_hosts),
      m_ssh_config(globals.ssh_config),
      m_accept_new_host_keys(globals.accept_new_host_keys),
      m_parallel(globals.parallel),
      m_dry_run(dry_run) {
    state::ensure_state_dir(m_state_dir);
    m_store = state::StateStore::open(m_state_dir);
}

DeployContext::~DeployContext() = default;

std::unique_ptr<DeployContext> DeployContext::open_existing(const GlobalOptions& globals) {
    if (!state_db_exists(state_dir_path(globals))) return nullptr;
    return std::make_unique<DeployContext>(globals);
}

runners::Runner& DeployContext::runner(spec::Target target) {
    auto found = m_runners.find(target);
    if (found != m_runners.end()) return *found->second;
    runners::RunnerContext context;
    context.state_dir = m_state_dir;
    context.shim_path = m_shim_path;
    context.dry_run = m_dry_run;
    context.known_hosts = m_known_hosts;
    context.ssh_config = m_ssh_config;
    context.accept_new_host_keys = m_accept_new_host_keys;
    context.parallel = m_parallel;
    context.watch = m_watch;
    auto runner = runners::make_runner(target, context);
    return *m_runners.emplace(target, std::move(runner)).first->second;
}

runners::HealthProber& DeployContext::prober() {
    if (!m_prober) m_prober = std::make_unique<runners::HealthProber>();
    return *m_prober;
}

void DeployContext::start_watching() {
    m_watch = true;
    m_runners.clear();
    m_prober.reset();
}

void DeployContext::require_shim() const {
    if (m_dry_run) return;
    if (m_shim_path.empty() || ::access(m_shim_path.c_str(), X_OK) != 0) {
        throw util::OperationError("cannot find agentctl-shim" +
                                   (m_shim_path.empty() ? std::string() : " at " + m_shim_path) +
                                   ": install it next to agentctl or set AGENTCTL_SHIM to its path");
    }
}

std::unique_ptr<deploy::AgentDeployer> DeployContext::make_deployer(deploy::Observer& observer) {
    return std::make_unique<deploy::AgentDeployer>(
        *m_store, m_state_dir, [this](spec::Target target) -> runners::Runner& { return runner(target); }, prober(),
        observer, [] { return interrupt_requested(); });
}

}  // namespace agentctl::cli

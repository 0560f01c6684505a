#include "runners/ssh_host.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/text.hpp"

namespace agentctl::runners {

namespace {

constexpr util::Millis k_default_ssh_timeout{30000};

std::string home_dir() {
    const char* home = std::getenv("HOME");
    if (home && *home) return home;
    if (const passwd* entry = ::getpwuid(::getuid())) return entry->pw_dir;
    return "";
}

std::string user_name() {
    if (const passwd* entry = ::getpwuid(::getuid())) return entry->pw_name;
    const char* user = std::getenv("USER");
    return user ? user : "";
}

// "~/x" -> "$HOME/x", as ssh does for IdentityFile.
std::string expand_home(const std::string& path) {
    if (path == "~") return home_dir();
    if (path.rfind("~/", 0) == 0) return home_dir() + path.substr(1);
    return path;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

SshHost::SshHost(std::shared_ptr<SshSession> session) : m_session(std::move(session)) {}

HostResult SshHost::run(const HostCommand& command) {
    // The shell's scripts read /dev/null: stdin data needs a channel of its own.
    if (!command.input.empty()) {
        return m_session->run(util::shell_join(command.argv), command.input, command.timeout, command.max_output);
    }
    return m_session->run_in_shell(util::shell_join(command.argv), command.timeout, command.max_output);
}

HostResult SshHost::run_script(const std::string& script, util::Millis timeout, std::size_t max_output) {
    return m_session->run_in_shell(script, timeout, max_output);
}

void SshHost::write_file(const std::string& path, const std::string& content, unsigned mode) {
    m_session->write_file(path, content, mode);
}

SshHostPool::SshHostPool(const RunnerContext& context)
    : m_config(util::SshConfig::parse(read_text(context.ssh_config.empty() ? home_dir() + "/.ssh/config"
                                                                           : context.ssh_config))),
      m_known_hosts(context.known_hosts.empty() ? home_dir() + "/.ssh/known_hosts" : context.known_hosts),
      m_accept_new(context.accept_new_host_keys) {}

SshTarget SshHostPool::target_for(const std::string& alias, const spec::DeploymentSpec& deployment) const {
    const util::SshHostSettings settings = m_config.lookup(alias);
    SshTarget target;
    target.alias = alias;
    target.host_name = settings.host_name.empty() ? alias : settings.host_name;
    target.user = !deployment.user.empty() ? deployment.user : !settings.user.empty() ? settings.user : user_name();
    target.port = deployment.port ? *deployment.port : settings.port ? *settings.port : 22;
    // The job's key replaces the ssh_config ones (IdentitiesOnly: a full agent cannot exhaust
    // MaxAuthTries before the right key is offered).
    if (!deployment.ssh_key.empty()) {
        target.identity_files.push_back(expand_home(deployment.ssh_key));
    } else {
        for (const auto& file : settings.identity_files) target.identity_files.push_back(expand_home(file));
    }
    if (deployment.password) target.password = deployment.password->value;
    target.timeout = deployment.ssh_timeout ? *deployment.ssh_timeout : k_default_ssh_timeout;
    target.known_hosts = m_known_hosts;
    target.accept_new_host_keys = m_accept_new;
    return target;
}

std::shared_ptr<SshHost> SshHostPool::host(const SshTarget& target) {
    const std::string key = target.user + "@" + target.alias + ":" + std::to_string(target.port);
    std::shared_ptr<Slot> slot;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto& entry = m_slots[key];
        if (!entry) entry = std::make_shared<Slot>();
        slot = entry;
    }
    // Only this host's slot is held while connecting: other hosts connect in parallel.
    std::lock_guard<std::mutex> lock(slot->mutex);
    if (slot->host) return slot->host;
    if (!slot->error.empty()) throw HostError(slot->error, slot->timed_out);
    try {
        slot->host = std::make_shared<SshHost>(std::shared_ptr<SshSession>(SshSession::open(target)));
    } catch (const HostError& error) {
        slot->error = error.what();
        slot->timed_out = error.timed_out();
        throw;
    }
    return slot->host;
}

}  // namespace agentctl::runners

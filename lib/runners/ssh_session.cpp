#include "runners/ssh_session.hpp"
#include "runners/ssh_session_impl.hpp"

#include <libssh/sftp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "util/duration.hpp"
#include "util/text.hpp"

namespace agentctl::runners {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Appending to one known_hosts file from several hosts' threads at once must not interleave.
std::mutex g_known_hosts_write;

std::string home_dir() {
    const char* home = std::getenv("HOME");
    return home ? home : "";
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

struct KeyDescription {
    std::string type;
    std::string fingerprint;  ///< "SHA256:..."
};

KeyDescription describe_server_key(ssh_session session) {
    KeyDescription out{"unknown", "(no key)"};
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(session, &key) != SSH_OK) return out;
    out.type = ssh_key_type_to_char(ssh_key_type(key));
    unsigned char* hash = nullptr;
    size_t length = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
        char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
        if (text) {
            out.fingerprint = text;
            ssh_string_free_char(text);
        }
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(key);
    return out;
}

std::string known_hosts_name(const SshTarget& target) {
    return target.port == 22 ? target.host_name : "[" + target.host_name + "]:" + std::to_string(target.port);
}

// Host keys as DESIGN.md §4 says: known -> go on; unknown -> refuse unless accept-new, which
// writes the entry; changed (or known under another key type) -> always refuse.
void verify_host_key(ssh_session session, const SshTarget& target) {
    const auto state = ssh_session_is_known_server(session);
    if (state == SSH_KNOWN_HOSTS_OK) return;
    const KeyDescription key = describe_server_key(session);
    const std::string where = describe_target(target);
    if (state == SSH_KNOWN_HOSTS_CHANGED || state == SSH_KNOWN_HOSTS_OTHER) {
        throw HostError("host key of " + where + " has CHANGED: it now offers " + key.type + " " + key.fingerprint +
                            ", which does not match " + target.known_hosts +
                            "; this may be an attack. If the host was reinstalled, remove its old entry (ssh-keygen -R " +
                            known_hosts_name(target) + " -f " + target.known_hosts + ") and check the new key",
                        false);
    }
    if (state == SSH_KNOWN_HOSTS_ERROR) {
        throw HostError("cannot check the host key of " + where + " against " + target.known_hosts + ": " +
                            ssh_get_error(session),
                        false);
    }
    // SSH_KNOWN_HOSTS_UNKNOWN or NOT_FOUND (no known_hosts file yet).
    if (!target.accept_new_host_keys) {
        throw HostError("host key of " + where + " is not known: " + key.type + " " + key.fingerprint + " (not in " +
                            target.known_hosts + "). Check the fingerprint, then rerun with --accept-new-host-keys " +
                            "to add it, or add it yourself (ssh-keyscan -p " + std::to_string(target.port) + " " +
                            target.host_name + " >> " + target.known_hosts + ")",
                        false);
    }
    std::lock_guard<std::mutex> lock(g_known_hosts_write);
    if (ssh_session_update_known_hosts(session) != SSH_OK) {
        throw HostError("cannot add the host key of " + where + " to " + target.known_hosts + ": " +
                            ssh_get_error(session),
                        false);
    }
}

// The configured key first (IdentitiesOnly), then ssh-agent, then the default identity files,
// then a password from ${VAR}. Never prompts: an encrypted key without an agent is an error.
void authenticate(ssh_session session, const SshTarget& target) {
    std::vector<std::string> unusable;
    auto try_key_file = [&](const std::string& path) {
        if (!file_exists(path)) return false;
        ssh_key key = nullptr;
        if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
            unusable.push_back(path);
            return false;
        }
        int rc = ssh_userauth_publickey(session, nullptr, key);
        ssh_key_free(key);
        return rc == SSH_AUTH_SUCCESS;
    };
    for (const auto& path : target.identity_files) {
        if (try_key_file(path)) return;
    }
    const char* agent_socket = std::getenv("SSH_AUTH_SOCK");
    if (agent_socket && *agent_socket && ssh_userauth_agent(session, nullptr) == SSH_AUTH_SUCCESS) return;
    if (target.identity_files.empty()) {
        for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
            if (try_key_file(home_dir() + "/.ssh/" + name)) return;
        }
    }
    if (!target.password.empty() && ssh_userauth_password(session, nullptr, target.password.c_str()) == SSH_AUTH_SUCCESS) {
        return;
    }
    std::string message = "authentication to " + describe_target(target) + " failed";
    if (!target.password.empty()) {
        // The password itself is a secret: never part of the message.
        message += ": the password (deployment.password) was rejected and no key was accepted; check the "
                   "variable it names and the host's account";
    } else if (!unusable.empty()) {
        message += ": cannot load " + unusable.front() +
                   " without a passphrase (encrypted?); add it to ssh-agent (ssh-add) so agentctl never prompts";
    } else {
        message += ": no key was accepted (tried " +
                   (target.identity_files.empty() ? std::string("ssh-agent and ~/.ssh/id_*")
                                                  : target.identity_files.front() + ", then ssh-agent") +
                   "); check deployment.ssh_key / IdentityFile and the host's authorized_keys";
    }
    throw HostError(message, false);
}

std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return slash == 0 ? "/" : "";
    return path.substr(0, slash);
}

std::string random_suffix() {
    static thread_local std::mt19937_64 engine{std::random_device{}()};
    static const char* k_digits = "0123456789abcdef";
    std::string out;
    auto value = engine();
    for (int i = 0; i < 12; ++i, value >>= 4) out += k_digits[value & 15];
    return out;
}

}  // namespace

std::string describe_target(const SshTarget& target) {
    std::string out = target.alias + " (";
    if (!target.user.empty()) out += target.user + "@";
    out += target.host_name + ":" + std::to_string(target.port) + ")";
    return out;
}

SshSession::Impl::~Impl() {
    end_shells();
    if (session) {
        ssh_disconnect(session);
        ssh_free(session);
    }
}

SshSession::SshSession(SshTarget target, std::unique_ptr<Impl> impl)
    : m_target(std::move(target)), m_impl(std::move(impl)) {}

SshSession::~SshSession() = default;

std::unique_ptr<SshSession> SshSession::open(const SshTarget& target) {
    static const int k_init = ssh_init();
    (void)k_init;
    auto impl = std::make_unique<Impl>();
    impl->session = ssh_new();
    if (!impl->session) throw HostError("cannot create an SSH session for " + describe_target(target), false);
    ssh_session s = impl->session;
    int port = target.port;
    long timeout_usec = static_cast<long>(target.timeout.count()) * 1000;
    int nodelay = 1;
    bool process_config = false;  // agentctl resolves ssh_config itself (the job wins over it)
    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config);
    ssh_options_set(s, SSH_OPTIONS_HOST, target.host_name.c_str());
    ssh_options_set(s, SSH_OPTIONS_PORT, &port);
    if (!target.user.empty()) ssh_options_set(s, SSH_OPTIONS_USER, target.user.c_str());
    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &timeout_usec);
    ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, target.known_hosts.c_str());

    const auto started = SteadyClock::now();
    if (ssh_connect(s) != SSH_OK) {
        const auto elapsed = SteadyClock::now() - started;
        const bool timed_out = elapsed >= target.timeout * 9 / 10;
        throw HostError(std::string(timed_out ? "timed out after " + util::format_duration(target.timeout) +
                                                    " connecting to "
                                              : "cannot connect to ") +
                            describe_target(target) + ": " + ssh_get_error(s),
                        timed_out);
    }
    verify_host_key(s, target);
    authenticate(s, target);
    return std::unique_ptr<SshSession>(new SshSession(target, std::move(impl)));
}

// One of the session's channel slots, held for a scope.
class SshSession::ChannelSlot {
public:
    explicit ChannelSlot(SshSession& session) : m_session(session) { m_session.acquire_channel(); }
    ~ChannelSlot() { m_session.release_channel(); }
    ChannelSlot(const ChannelSlot&) = delete;
    ChannelSlot& operator=(const ChannelSlot&) = delete;

private:
    SshSession& m_session;
};

void SshSession::acquire_channel() {
    std::unique_lock<std::mutex> lock(m_channels_mutex);
    m_channels_free.wait(lock, [this] { return m_open_channels < k_max_channels; });
    ++m_open_channels;
}

void SshSession::release_channel() {
    {
        std::lock_guard<std::mutex> lock(m_channels_mutex);
        --m_open_channels;
    }
    m_channels_free.notify_one();
}

HostResult SshSession::run(const std::string& command_line, const std::string& input, util::Millis timeout,
                           std::size_t max_output) {
    ChannelSlot slot(*this);
    std::unique_lock<std::mutex> lock(m_mutex);
    return run_channel(lock, command_line, input, timeout, max_output);
}

HostResult SshSession::run_channel(std::unique_lock<std::mutex>& lock, const std::string& command_line,
                                   const std::string& input, util::Millis timeout, std::size_t max_output) {
    ssh_session s = m_impl->session;
    HostResult result;
    ssh_channel channel = ssh_channel_new(s);
    if (!channel) throw HostError("cannot open a channel to " + describe_target(m_target) + ": " + ssh_get_error(s), false);
    // Destroyed with the session locked: every exit below holds `lock`.
    struct ChannelGuard {
        ssh_channel channel;
        ~ChannelGuard() {
            ssh_channel_close(channel);
            ssh_channel_free(channel);
        }
    } guard{channel};
    if (ssh_channel_open_session(channel) != SSH_OK || ssh_channel_request_exec(channel, command_line.c_str()) != SSH_OK) {
        throw HostError("cannot run a command on " + describe_target(m_target) + ": " + ssh_get_error(s), false);
    }
    if (!input.empty() && ssh_channel_write(channel, input.data(), static_cast<uint32_t>(input.size())) == SSH_ERROR) {
        throw HostError("cannot send input to " + describe_target(m_target) + ": " + ssh_get_error(s), false);
    }
    ssh_channel_send_eof(channel);

    const auto deadline = SteadyClock::now() + timeout;
    char buffer[16384];
    auto keep = [max_output](std::string& into, const char* data, int n) {
        if (into.size() < max_output) into.append(data, std::min<std::size_t>(static_cast<std::size_t>(n), max_output - into.size()));
    };
    // Non-blocking reads with the session unlocked in between, so that other threads' channels
    // on this session make progress meanwhile.
    auto drain = [&](int is_stderr, std::string& into) {
        int total = 0;
        for (;;) {
            int n = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, is_stderr);
            if (n == SSH_ERROR) {
                throw HostError("connection to " + describe_target(m_target) + " lost: " + ssh_get_error(s), false);
            }
            if (n <= 0) return total;
            keep(into, buffer, n);
            total += n;
        }
    };
    for (;;) {
        int got = drain(0, result.out) + drain(1, result.err);
        if (got == 0 && (ssh_channel_is_eof(channel) || ssh_channel_is_closed(channel))) break;
        if (SteadyClock::now() >= deadline) {
            result.timed_out = true;
            return result;
        }
        if (got == 0) {
            lock.unlock();
            std::this_thread::sleep_for(k_poll_pause);
            lock.lock();
        }
    }
    drain(1, result.err);
    result.exit_status = ssh_channel_get_exit_status(channel);
    return result;
}

void SshSession::write_file(const std::string& path, const std::string& content, unsigned mode) {
    const std::string temporary = path + ".agentctl-tmp-" + random_suffix();
    {
        ChannelSlot slot(*this);
        std::lock_guard<std::mutex> lock(m_mutex);
        if (sftp_upload(path, temporary, content, mode)) return;
    }
    // SFTP v3 refuses to rename over an existing file; mv is rename(2), which replaces it
    // atomically (an agent reading the file sees the old or the new one, never none).
    HostResult moved = run_in_shell(util::shell_join({"mv", "-f", "--", temporary, path}), m_target.timeout, 4096);
    if (moved.exit_status != 0) {
        run_in_shell(util::shell_join({"rm", "-f", "--", temporary}), m_target.timeout, 4096);
        throw HostError("cannot rename " + temporary + " to " + path + " on " + describe_target(m_target) + ": " +
                            (moved.timed_out ? std::string("timed out") : moved.err),
                        moved.timed_out);
    }
}

bool SshSession::sftp_upload(const std::string& path, const std::string& temporary, const std::string& content,
                             unsigned mode) {
    ssh_session s = m_impl->session;
    const std::string where = describe_target(m_target);
    sftp_session sftp = sftp_new(s);
    if (!sftp) throw HostError("cannot start SFTP on " + where + ": " + ssh_get_error(s), false);
    struct SftpGuard {
        sftp_session sftp;
        ~SftpGuard() { sftp_free(sftp); }
    } guard{sftp};
    if (sftp_init(sftp) != SSH_OK) {
        throw HostError("cannot start SFTP on " + where + " (is an sftp Subsystem configured?): " + ssh_get_error(s), false);
    }
    auto fail = [&](const std::string& what) {
        throw HostError("cannot " + what + " on " + where + " over SFTP (error " + std::to_string(sftp_get_error(sftp)) +
                            "): " + ssh_get_error(s),
                        false);
    };
    // mkdir -p of the parent, each new directory 0700.
    std::vector<std::string> missing;
    for (std::string dir = parent_of(path); !dir.empty() && dir != "/"; dir = parent_of(dir)) {
        sftp_attributes attributes = sftp_stat(sftp, dir.c_str());
        if (attributes) {
            sftp_attributes_free(attributes);
            break;
        }
        missing.push_back(dir);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (sftp_mkdir(sftp, it->c_str(), 0700) != SSH_OK && sftp_get_error(sftp) != SSH_FX_FILE_ALREADY_EXISTS) {
            sftp_attributes attributes = sftp_stat(sftp, it->c_str());
            if (!attributes) fail("create " + *it);
            sftp_attributes_free(attributes);
        }
    }
    sftp_file file = sftp_open(sftp, temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (!file) fail("create " + temporary);
    std::size_t offset = 0;
    while (offset < content.size()) {
        std::size_t chunk = std::min<std::size_t>(content.size() - offset, 32768);
        ssize_t written = sftp_write(file, content.data() + offset, chunk);
        if (written <= 0) {
            sftp_close(file);
            sftp_unlink(sftp, temporary.c_str());
            fail("write " + temporary);
        }
        offset += static_cast<std::size_t>(written);
    }
    if (sftp_close(file) != SSH_OK || sftp_chmod(sftp, temporary.c_str(), mode) != SSH_OK) {
        sftp_unlink(sftp, temporary.c_str());
        fail("finish " + temporary);
    }
    return sftp_rename(sftp, temporary.c_str(), path.c_str()) == SSH_OK;
}

}  // namespace agentctl::runners

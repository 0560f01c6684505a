#include "runners/ssh_runner_support.hpp"

#include <openssl/evp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace agentctl::runners {

namespace {

std::string base_name(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Remote paths are keyed by job and instance (two "hosts" sharing a filesystem never share a
// file); the run dir also by revision, like the local one, so an old shim's exit never
// overwrites a new shim's status.
std::string instance_dir(const LaunchRequest& request) { return request.job + "/" + request.instance; }

}  // namespace

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    static const char* k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 15];
    }
    return out;
}

std::optional<std::string> read_binary(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string local_arch() {
    utsname name{};
    return ::uname(&name) == 0 ? name.machine : "";
}

std::string remote_run_dir(const LaunchRequest& request) {
    return instance_dir(request) + "/" + base_name(request.run_dir);
}
std::string remote_log(const LaunchRequest& request) { return instance_dir(request) + "/agent.log"; }

// SFTP paths are relative to the login directory, as "~/" paths are for the shell.
std::string sftp_path(const std::string& path) {
    if (path.rfind("~/", 0) == 0) return path.substr(2);
    return path;
}

// Runs fn(0..count-1) on at most `parallel` threads at once.
void run_parallel(std::size_t count, int parallel, const std::function<void(std::size_t)>& fn) {
    std::size_t workers = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, parallel)));
    if (workers <= 1) {
        for (std::size_t i = 0; i < count; ++i) fn(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) {
        threads.emplace_back([&] {
            for (std::size_t i = next++; i < count; i = next++) fn(i);
        });
    }
    for (auto& thread : threads) thread.join();
}

HostResult run_script(SshHost& host, const std::string& script, util::Millis timeout) {
    return host.run_script(script, timeout, k_ssh_max_output);
}

}  // namespace agentctl::runners

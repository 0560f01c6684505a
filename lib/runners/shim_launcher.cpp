#include "runners/shim_launcher.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

extern char** environ;

namespace agentctl::runners {

namespace {

// The environment block: this process's, with `environment` set over it.
std::vector<std::string> merged_environment(const std::vector<spec::EnvVar>& environment) {
    std::vector<std::string> merged;
    for (char** entry = environ; *entry; ++entry) {
        const char* equals = std::strchr(*entry, '=');
        std::size_t name_length = equals ? static_cast<std::size_t>(equals - *entry) : std::strlen(*entry);
        bool overridden = false;
        for (const auto& var : environment) {
            if (var.name.size() == name_length && var.name.compare(0, name_length, *entry, name_length) == 0) {
                overridden = true;
                break;
            }
        }
        if (!overridden) merged.emplace_back(*entry);
    }
    for (const auto& var : environment) merged.push_back(var.name + "=" + var.value);
    return merged;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (auto& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_t actions;
    SpawnSetup() {
        ::posix_spawnattr_init(&attributes);
        ::posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attributes);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

SpawnedShim spawn_shim(const std::string& shim_path, const std::vector<std::string>& args,
                       const std::vector<spec::EnvVar>& environment) {
    SpawnedShim spawned;
    std::vector<std::string> argv_storage;
    argv_storage.reserve(args.size() + 1);
    argv_storage.push_back(shim_path);
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<std::string> env_storage = merged_environment(environment);
    std::vector<char*> argv = pointers_to(argv_storage);
    std::vector<char*> envp = pointers_to(env_storage);

    int handshake[2];
    if (::pipe2(handshake, O_CLOEXEC) != 0) {
        spawned.error = "cannot start " + shim_path + ": pipe: " + std::strerror(errno);
        return spawned;
    }
    // posix_spawn (a vfork-style clone in glibc) instead of fork: forking agentctl copies its
    // page tables once per shim, which dominated a 200-agent stage. In the child: a session of
    // its own (no terminal, no Ctrl-C from agentctl's), stdin /dev/null, stdout the handshake
    // pipe, stderr /dev/null, and no other descriptor of agentctl's (the other shims' handshake
    // pipes, the state database).
    SpawnSetup setup;
    ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    sigset_t none;
    sigemptyset(&none);
    ::posix_spawnattr_setsigmask(&setup.attributes, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&defaults, signal);
    ::posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
    ::posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&setup.actions, handshake[1], 1);
    ::posix_spawn_file_actions_addopen(&setup.actions, 2, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);

    pid_t pid = -1;
    int error = ::posix_spawn(&pid, shim_path.c_str(), &setup.actions, &setup.attributes, argv.data(), envp.data());
    ::close(handshake[1]);
    if (error != 0) {
        ::close(handshake[0]);
        spawned.error = "cannot start " + shim_path + ": " + std::strerror(error);
        return spawned;
    }
    spawned.pid = pid;
    spawned.handshake_fd = handshake[0];
    return spawned;
}

}  // namespace agentctl::runners

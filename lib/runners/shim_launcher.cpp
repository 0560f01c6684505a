#include "runners/shim_launcher.hpp"

#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace agentctl::runners {

namespace bp = boost::process;

namespace {

// In the child, before exec: a session of its own (no terminal, no Ctrl-C from agentctl's
// terminal), and no descriptor of agentctl's leaking into the shim (the handshake pipes of the
// other shims of the batch, the state database ...).
struct NewSession : bp::extend::handler {
    template <typename Executor>
    void on_exec_setup(Executor&) const {
        ::setsid();
        if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
        long limit = ::sysconf(_SC_OPEN_MAX);
        if (limit < 0 || limit > 65536) limit = 65536;
        for (int fd = 3; fd < limit; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
};

}  // namespace

SpawnedShim spawn_shim(const std::string& shim_path, const std::vector<std::string>& args,
                       const std::vector<spec::EnvVar>& environment) {
    SpawnedShim spawned;
    bp::environment env = boost::this_process::environment();
    for (const auto& var : environment) env[var.name] = var.value;
    try {
        bp::pipe handshake;
        std::error_code error;
        bp::child child(bp::exe = shim_path, bp::args = args, env, bp::std_in < bp::null, bp::std_out > handshake,
                        bp::std_err > bp::null, NewSession{}, error);
        if (error || !child.valid()) {
            spawned.error = "cannot start " + shim_path + ": " + (error ? error.message() : "unknown error");
            return spawned;
        }
        spawned.pid = child.id();
        // The shim lives on without agentctl: never kill it in ~child(), never wait for it.
        child.detach();
        spawned.handshake_fd = handshake.native_source();
        handshake.assign_source(-1);
        ::fcntl(spawned.handshake_fd, F_SETFD, FD_CLOEXEC);
    } catch (const std::exception& error) {
        spawned.error = "cannot start " + shim_path + ": " + error.what();
    }
    return spawned;
}

}  // namespace agentctl::runners

#include "runners/local_preflight.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "runners/local_exec.hpp"

namespace agentctl::runners {

namespace {

// How long one interpreter may take to look up its agents' modules.
constexpr util::Millis k_module_check_timeout{15000};

// Prints, one per line, "module<TAB>reason" for every argument it cannot find. find_spec imports
// the parent packages (as `python -m` would) but never the module itself, so no agent code runs.
constexpr const char* k_find_modules = R"py(import importlib.util, sys
for name in sys.argv[1:]:
    try:
        found = importlib.util.find_spec(name) is not None
        reason = "no module named " + name
    except Exception as error:
        found, reason = False, type(error).__name__ + ": " + str(error).replace("\n", " ")
    if not found:
        print(name + "\t" + reason)
)py";

std::string value_of(const std::vector<spec::EnvVar>& environment, const std::string& name) {
    for (auto it = environment.rbegin(); it != environment.rend(); ++it) {
        if (it->name == name) return it->value;
    }
    const char* inherited = std::getenv(name.c_str());
    return inherited ? inherited : "";
}

bool is_executable_file(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool is_directory(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// execvp's rules: a name with a slash is a path (relative to the workdir the shim enters);
// otherwise the first executable file of that name on the agent's PATH.
std::string command_problem(const LaunchRequest& request) {
    const std::string& program = request.argv.front();
    if (program.find('/') != std::string::npos) {
        std::string path = program[0] == '/' || request.workdir.empty() ? program : request.workdir + "/" + program;
        if (is_executable_file(path)) return {};
        return "command " + program + " is not an executable file (looked at " + path +
               "); check the path, relative to the workdir, and its execute permission";
    }
    std::string path_list = value_of(request.environment, "PATH");
    std::stringstream dirs(path_list);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (dir.empty()) dir = ".";
        if (dir[0] != '/' && !request.workdir.empty()) dir = request.workdir + "/" + dir;
        if (is_executable_file(dir + "/" + program)) return {};
    }
    return "command " + program + " was not found on PATH (" + path_list +
           "); install it, give its full path, or set PATH in the job's environment";
}

// Whether /proc/net/tcp or tcp6 lists a socket listening on local `port` (state 0A).
bool someone_listens(int port) {
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // the header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state;
            fields >> slot >> local >> remote >> state;
            const auto colon = local.rfind(':');
            if (colon == std::string::npos || state != "0A") continue;
            if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) return true;
        }
    }
    return false;
}

}  // namespace

std::string local_port_problem(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int result = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    int error = errno;
    ::close(fd);
    if (result == 0 || error != EADDRINUSE) return {};
    if (someone_listens(port)) {
        return "port " + std::to_string(port) + " on 127.0.0.1 is already in use by another process; stop it, "
               "or give the agent another config.port";
    }
    // No listener: a connection that used the port (often as the local end of an outgoing one,
    // in the ephemeral range) ended recently and the kernel holds the port for up to a minute.
    return "port " + std::to_string(port) + " on 127.0.0.1 is still held by connections that ended recently "
           "(TIME_WAIT, up to 60 s); deploy again in a minute, or give the agent a config.port outside "
           "the ephemeral range (/proc/sys/net/ipv4/ip_local_port_range)";
}

namespace {

// Agents whose modules one interpreter run can check: same interpreter, workdir and PYTHONPATH.
using ModuleKey = std::tuple<std::string, std::string, std::string>;

struct ModuleGroup {
    std::vector<std::string> argv;  // interpreter, -c, script, modules...
    std::vector<std::string> instances;
    const LaunchRequest* first = nullptr;
};

bool is_module_agent(const LaunchRequest& request) {
    return request.argv.size() == 3 && request.argv[1] == "-m";
}

void check_modules(std::map<ModuleKey, ModuleGroup>& groups,
                   std::vector<PreflightProblem>& problems) {
    for (auto& [key, group] : groups) {
        const std::string& python = std::get<0>(key);
        LocalCommand command;
        command.argv = group.argv;
        command.workdir = std::get<1>(key).empty() ? "/" : std::get<1>(key);
        command.environment = group.first->environment;
        command.timeout = k_module_check_timeout;
        command.max_output = 64 * 1024;
        ExecResult result = run_local_command(command);
        if (result.exit_status != 0) {
            std::string why = result.timed_out ? "timed out" : "exit status " + std::to_string(result.exit_status);
            for (const auto& instance : group.instances) {
                problems.push_back({instance, "cannot check its module with " + python + " (" + why + ": " +
                                                  result.output.substr(0, 200) +
                                                  "); install the interpreter or set deployment.python"});
            }
            continue;
        }
        std::map<std::string, std::string> missing;
        std::stringstream lines(result.output);
        std::string line;
        while (std::getline(lines, line)) {
            auto tab = line.find('\t');
            if (tab != std::string::npos) missing[line.substr(0, tab)] = line.substr(tab + 1);
        }
        for (std::size_t i = 0; i < group.instances.size(); ++i) {
            const std::string& module = group.argv[3 + i];
            auto found = missing.find(module);
            if (found == missing.end()) continue;
            problems.push_back({group.instances[i], python + " cannot import " + module + " from " + command.workdir +
                                                        " (" + found->second +
                                                        "); check deployment.workdir, the module name or PYTHONPATH"});
        }
    }
}

}  // namespace

std::vector<PreflightProblem> local_preflight(const std::vector<LaunchRequest>& requests) {
    std::vector<PreflightProblem> problems;
    std::map<ModuleKey, ModuleGroup> modules;
    for (const auto& request : requests) {
        if (!request.workdir.empty() && !is_directory(request.workdir)) {
            problems.push_back({request.instance, "workdir " + request.workdir +
                                                      " is not a directory; create it or fix deployment.workdir"});
            continue;
        }
        if (request.argv.empty()) {
            problems.push_back({request.instance, "no command to run; give `module` or `command`"});
            continue;
        }
        std::string problem = command_problem(request);
        if (!problem.empty()) {
            problems.push_back({request.instance, problem});
        } else if (is_module_agent(request)) {
            auto& group = modules[{request.argv[0], request.workdir, value_of(request.environment, "PYTHONPATH")}];
            if (group.argv.empty()) group.argv = {request.argv[0], "-c", k_find_modules};
            if (group.first == nullptr) group.first = &request;
            group.argv.push_back(request.argv[2]);
            group.instances.push_back(request.instance);
        }
        if (request.port) {
            std::string taken = local_port_problem(*request.port);
            if (!taken.empty()) problems.push_back({request.instance, taken});
        }
    }
    check_modules(modules, problems);
    // In the order of the requests (the module checks come last otherwise).
    std::map<std::string, std::size_t> order;
    for (std::size_t i = 0; i < requests.size(); ++i) order.emplace(requests[i].instance, i);
    std::stable_sort(problems.begin(), problems.end(), [&order](const PreflightProblem& a, const PreflightProblem& b) {
        return order[a.instance] < order[b.instance];
    });
    return problems;
}

}  // namespace agentctl::runners

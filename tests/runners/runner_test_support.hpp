#pragma once
// Helpers for the runner tests that start real processes: a temporary directory, a guard that
// SIGKILLs every process group a test started (also when the test fails), and small readers.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "util/process.hpp"

namespace agentctl::test {

/// A fresh directory under /tmp, removed with everything in it at the end of the scope.
class TempDir {
public:
    TempDir() {
        std::string pattern = "/tmp/agentctl-runner-test-XXXXXX";
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        m_path = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }
    std::string operator/(const std::string& name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

/// SIGKILLs, at the end of the scope, every recorded process group and process that still has
/// its recorded identity, then reaps those that are this process's children.
class ProcessGuard {
public:
    ProcessGuard() = default;
    ProcessGuard(const ProcessGuard&) = delete;
    ProcessGuard& operator=(const ProcessGuard&) = delete;
    ~ProcessGuard() { kill_all(); }

    /// Kills the group led by `leader` (and `leader` itself) at the end.
    void add_group(const util::ProcessRef& leader) { m_groups.push_back(leader); }
    /// Kills `ref` at the end.
    void add_process(const util::ProcessRef& ref) { m_processes.push_back(ref); }
    /// A raw pid of a direct child (identity read now).
    void add_child(int pid) {
        m_children.push_back(pid);
        if (auto ref = util::process_ref(pid)) m_processes.push_back(*ref);
    }

    void kill_all() {
        for (const auto& leader : m_groups) {
            if (util::process_matches(leader)) ::kill(-leader.pid, SIGKILL);
        }
        for (const auto& ref : m_processes) {
            if (util::process_matches(ref)) ::kill(ref.pid, SIGKILL);
        }
        for (const auto& ref : m_processes) ::waitpid(ref.pid, nullptr, WNOHANG);
        for (int pid : m_children) ::waitpid(pid, nullptr, 0);
        m_children.clear();
        m_groups.clear();
        m_processes.clear();
    }

private:
    std::vector<util::ProcessRef> m_groups;
    std::vector<util::ProcessRef> m_processes;
    std::vector<int> m_children;
};

/// The whole file, or "" when it cannot be read.
inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// The file's lines (without newlines).
inline std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

/// Polls `condition` every 10 ms until it holds or `timeout` passed; returns its last value.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// Field `field` (1-based, as in proc(5)) of /proc/PID/stat, or "" when there is no such process.
inline std::string stat_field(int pid, int field) {
    std::string text = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = text.rfind(')');
    if (close == std::string::npos) return "";
    std::istringstream in(text.substr(close + 2));
    std::string value;
    for (int i = 3; i <= field; ++i) in >> value;
    return value;
}

/// The NUL-separated entries of /proc/PID/cmdline or /proc/PID/environ, joined by spaces.
inline std::string proc_strings(int pid, const std::string& name) {
    std::string text = read_text("/proc/" + std::to_string(pid) + "/" + name);
    for (char& c : text) {
        if (c == '\0') c = ' ';
    }
    return text;
}

}  // namespace agentctl::test

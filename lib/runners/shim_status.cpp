#include "runners/shim_status.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runners/log_file.hpp"

namespace agentctl::runners {

namespace {

using nlohmann::json;

std::optional<Clock::time_point> time_field(const json& object, const char* name) {
    auto found = object.find(name);
    if (found == object.end() || !found->is_string()) return std::nullopt;
    return parse_utc_time(found->get<std::string>());
}

std::optional<int> int_field(const json& object, const char* name) {
    auto found = object.find(name);
    if (found == object.end() || !found->is_number_integer()) return std::nullopt;
    return found->get<int>();
}

util::ProcessRef process_field(const json& object, const char* pid, const char* start) {
    util::ProcessRef ref;
    auto found_pid = object.find(pid);
    auto found_start = object.find(start);
    if (found_pid != object.end() && found_pid->is_number_integer()) ref.pid = found_pid->get<int>();
    if (found_start != object.end() && found_start->is_number_unsigned()) {
        ref.start_time = found_start->get<std::uint64_t>();
    }
    return ref;
}

}  // namespace

std::string shim_status_path(const std::string& run_dir) { return run_dir + "/status.json"; }

std::string shim_stop_file_path(const std::string& run_dir) { return run_dir + "/stop-requested"; }

void apply_restart_info(const ShimStatus& status, Inspection& inspection) {
    inspection.restarts = status.restarts;
    inspection.restarting = status.restarting;
    inspection.gave_up = status.failed;
    inspection.last_exit_status = status.last_exit_status;
    inspection.exits = status.history;
}

std::optional<ShimStatus> parse_shim_status(const std::string& text) {
    json object = json::parse(text, nullptr, false);
    if (object.is_discarded() || !object.is_object()) return std::nullopt;
    if (int_field(object, "version") != 1) return std::nullopt;
    ShimStatus status;
    status.shim = process_field(object, "shim_pid", "shim_start");
    status.agent = process_field(object, "agent_pid", "agent_start");
    auto state = object.find("state");
    std::string state_text = state != object.end() && state->is_string() ? state->get<std::string>() : "";
    status.exited = state_text == "exited" || state_text == "restarting";
    status.restarting = state_text == "restarting";
    status.restarts = int_field(object, "restarts").value_or(0);
    auto failed = object.find("failed");
    status.failed = failed != object.end() && failed->is_boolean() && failed->get<bool>();
    status.last_exit_status = int_field(object, "last_exit_status");
    auto history = object.find("history");
    if (history != object.end() && history->is_array()) {
        for (const auto& entry : *history) {
            if (!entry.is_object()) continue;
            ExitEvent exit;
            exit.number = int_field(entry, "n").value_or(0);
            exit.pid = int_field(entry, "pid").value_or(0);
            exit.exit_status = int_field(entry, "exit_status").value_or(0);
            exit.exited_at = time_field(entry, "exited_at");
            auto action = entry.find("action");
            if (action != entry.end() && action->is_string()) exit.action = action->get<std::string>();
            exit.restarted_at = time_field(entry, "restarted_at");
            exit.new_pid = int_field(entry, "new_pid").value_or(0);
            status.history.push_back(std::move(exit));
        }
    }
    status.started_at = time_field(object, "started_at");
    status.exit_status = int_field(object, "exit_status");
    status.signal = int_field(object, "signal");
    status.exited_at = time_field(object, "exited_at");
    auto error = object.find("error");
    if (error != object.end() && error->is_string()) status.error = error->get<std::string>();
    return status;
}

std::optional<ShimStatus> read_shim_status(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return parse_shim_status(text.str());
}

Inspection exited_inspection(const ShimStatus& status) {
    Inspection inspection;
    inspection.liveness = Liveness::exited;
    inspection.exit_status = status.exit_status;
    inspection.exited_at = status.exited_at;
    if (!status.error.empty()) inspection.reason = status.error;
    return inspection;
}

const ShimStatus* ShimStatusCache::while_running(const std::string& path, const util::ProcessRef& agent) const {
    auto found = m_entries.find(path);
    if (found == m_entries.end() || !found->second.status || agent.empty()) return nullptr;
    const ShimStatus& status = *found->second.status;
    if (status.exited || status.agent.pid != agent.pid || status.agent.start_time != agent.start_time) return nullptr;
    return &status;
}

std::optional<ShimStatus> ShimStatusCache::read(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        m_entries.erase(path);
        return std::nullopt;
    }
    Entry now;
    now.device = static_cast<unsigned long long>(info.st_dev);
    now.inode = static_cast<unsigned long long>(info.st_ino);
    now.size = static_cast<unsigned long long>(info.st_size);
    now.modified_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
    auto found = m_entries.find(path);
    if (found != m_entries.end() && found->second.device == now.device && found->second.inode == now.inode &&
        found->second.size == now.size && found->second.modified_ns == now.modified_ns) {
        return found->second.status;
    }
    now.status = read_shim_status(path);
    m_entries[path] = now;
    return now.status;
}

}  // namespace agentctl::runners

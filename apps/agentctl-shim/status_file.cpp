#include "status_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace agentctl::shim {

namespace {

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                    out += escaped;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string nullable_string(const std::string& text) { return text.empty() ? "null" : json_string(text); }

std::string nullable_int(const std::optional<int>& value) { return value ? std::to_string(*value) : "null"; }

}  // namespace

std::string status_json(const ShimStatus& status) {
    std::string out = "{\"version\":1";
    out += ",\"shim_pid\":" + std::to_string(status.shim_pid);
    out += ",\"shim_start\":" + std::to_string(status.shim_start);
    out += ",\"agent_pid\":" + std::to_string(status.agent_pid);
    out += ",\"agent_start\":" + std::to_string(status.agent_start);
    const char* state = status.restarting ? "\"restarting\"" : (status.exited ? "\"exited\"" : "\"running\"");
    out += std::string(",\"state\":") + state;
    out += ",\"started_at\":" + nullable_string(status.started_at);
    out += ",\"exit_status\":" + nullable_int(status.exit_status);
    out += ",\"signal\":" + nullable_int(status.signal);
    out += ",\"exited_at\":" + nullable_string(status.exited_at);
    out += ",\"error\":" + nullable_string(status.error);
    out += ",\"restart_policy\":" + json_string(status.restart_policy);
    out += ",\"restarts\":" + std::to_string(status.restarts);
    out += std::string(",\"failed\":") + (status.failed ? "true" : "false");
    out += ",\"next_restart_at\":" + nullable_string(status.next_restart_at);
    out += ",\"last_exit_status\":" + nullable_int(status.last_exit_status);
    out += ",\"last_exited_at\":" + nullable_string(status.last_exited_at);
    out += ",\"history\":[";
    for (std::size_t i = 0; i < status.history.size(); ++i) {
        const ExitRecord& exit = status.history[i];
        if (i > 0) out += ",";
        out += "{\"n\":" + std::to_string(exit.number);
        out += ",\"pid\":" + std::to_string(exit.pid);
        out += ",\"exit_status\":" + std::to_string(exit.exit_status);
        out += ",\"signal\":" + nullable_int(exit.signal);
        out += ",\"exited_at\":" + nullable_string(exit.exited_at);
        out += ",\"action\":" + json_string(exit.action);
        out += ",\"restarted_at\":" + nullable_string(exit.restarted_at);
        out += ",\"new_pid\":" + (exit.new_pid > 0 ? std::to_string(exit.new_pid) : std::string("null"));
        out += "}";
    }
    out += "]}\n";
    return out;
}

std::string write_status_file(const std::string& path, const ShimStatus& status) {
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return "status " + temporary + ": " + std::strerror(errno);
    std::string text = status_json(status);
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::string error = "status " + temporary + ": " + std::strerror(errno);
            ::close(fd);
            return error;
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    ::close(fd);
    // rename() is atomic: a reader sees the old file or the new one, never half of one.
    if (::rename(temporary.c_str(), path.c_str()) != 0) return "status " + path + ": " + std::strerror(errno);
    return {};
}

}  // namespace agentctl::shim

#include "shim_options.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace agentctl::shim {

namespace {

bool parse_unsigned(const std::string& text, std::uint64_t& value) {
    if (text.empty() || text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    value = parsed;
    return true;
}

}  // namespace

const char* usage_text() {
    return "usage: agentctl-shim --log PATH --status PATH [--workdir DIR]\n"
           "                     [--log-max-bytes N] [--log-keep N]\n"
           "                     [--restart no|on-failure|always] [--max-restarts N]\n"
           "                     [--backoff-ms N] [--max-backoff-ms N] [--stop-file PATH]\n"
           "                     -- PROGRAM [ARGS...]\n";
}

std::string parse_options(int argc, char** argv, ShimOptions& options) {
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "-h" || arg == "--help") {
            options.help = true;
            return {};
        }
        // Both "--name value" and "--name=value".
        std::string name = arg;
        std::string value;
        bool has_value = false;
        auto equals = arg.find('=');
        if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
            name = arg.substr(0, equals);
            value = arg.substr(equals + 1);
            has_value = true;
        }
        bool known = name == "--log" || name == "--status" || name == "--workdir" ||
                     name == "--log-max-bytes" || name == "--log-keep" || name == "--restart" ||
                     name == "--max-restarts" || name == "--backoff-ms" || name == "--max-backoff-ms" ||
                     name == "--stop-file";
        if (!known) return "unknown option " + arg;
        if (!has_value) {
            if (i + 1 >= argc) return name + " needs a value";
            value = argv[++i];
        }
        if (name == "--log") {
            options.log_path = value;
        } else if (name == "--status") {
            options.status_path = value;
        } else if (name == "--workdir") {
            options.workdir = value;
        } else if (name == "--log-max-bytes") {
            if (!parse_unsigned(value, options.log_max_bytes)) return "--log-max-bytes needs a number of bytes";
        } else if (name == "--restart") {
            if (value != "no" && value != "on-failure" && value != "always") {
                return "--restart needs no, on-failure or always";
            }
            options.restart = value;
        } else if (name == "--max-restarts") {
            std::uint64_t count = 0;
            if (!parse_unsigned(value, count) || count > 1000000) return "--max-restarts needs a number from 0 to 1000000";
            options.max_restarts = static_cast<int>(count);
        } else if (name == "--backoff-ms" || name == "--max-backoff-ms") {
            std::uint64_t millis = 0;
            // A day at most: a longer wait is a typo, and the doubling must not overflow.
            if (!parse_unsigned(value, millis) || millis > 86400000) return name + " needs milliseconds from 0 to 86400000";
            (name == "--backoff-ms" ? options.backoff_ms : options.max_backoff_ms) = static_cast<long long>(millis);
        } else if (name == "--stop-file") {
            options.stop_file = value;
        } else {
            std::uint64_t keep = 0;
            if (!parse_unsigned(value, keep) || keep > 1000) return "--log-keep needs a number from 0 to 1000";
            options.log_keep = static_cast<int>(keep);
        }
    }
    for (; i < argc; ++i) options.argv.emplace_back(argv[i]);
    if (options.log_path.empty()) return "--log is required";
    if (options.status_path.empty()) return "--status is required";
    if (options.argv.empty()) return "no program given after --";
    return {};
}

}  // namespace agentctl::shim

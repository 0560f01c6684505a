#include "util/ssh_config.hpp"

#include <cctype>
#include <cstdlib>

namespace agentctl::util {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Splits an ssh_config argument list on blanks, honouring double quotes as OpenSSH does.
std::vector<std::string> split_args(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    bool quoted = false;
    bool have = false;
    for (char c : text) {
        if (c == '"') {
            quoted = !quoted;
            have = true;
        } else if (!quoted && (c == ' ' || c == '\t')) {
            if (have) out.push_back(current);
            current.clear();
            have = false;
        } else {
            current += c;
            have = true;
        }
    }
    if (have) out.push_back(current);
    return out;
}

// OpenSSH's glob: '*' matches any run, '?' one character; case-insensitive on host names.
bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' ||
            std::tolower(static_cast<unsigned char>(pattern[p])) == std::tolower(static_cast<unsigned char>(text[t])))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool block_matches(const SshConfig::Block& block, std::string_view host) {
    bool positive = false;
    for (const auto& pattern : block.patterns) {
        if (!pattern.empty() && pattern[0] == '!') {
            if (glob_match(std::string_view(pattern).substr(1), host)) return false;
        } else if (glob_match(pattern, host)) {
            positive = true;
        }
    }
    return positive;
}

}  // namespace

SshConfig SshConfig::parse(std::string_view text) {
    SshConfig config;
    // Options before the first Host line apply to every host, as if under "Host *".
    config.m_blocks.push_back(Block{{"*"}, {}});
    bool skipping = false;  // inside a Match block, which this reader does not evaluate
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;

        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
        if (line.empty() || line.front() == '#') {
            if (end == text.size()) break;
            continue;
        }
        std::size_t split = line.find_first_of(" \t=");
        std::string keyword = lower(line.substr(0, split));
        std::string_view rest = split == std::string_view::npos ? std::string_view{} : line.substr(split);
        // "Keyword value", "Keyword=value" and "Keyword = value" are all valid.
        auto skip_blanks = [&rest] {
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
        };
        skip_blanks();
        if (!rest.empty() && rest.front() == '=') rest.remove_prefix(1);
        skip_blanks();
        std::vector<std::string> args = split_args(rest);

        if (keyword == "host") {
            skipping = false;
            config.m_blocks.push_back(Block{args, {}});
        } else if (keyword == "match") {
            skipping = true;
        } else if (!skipping && !args.empty()) {
            config.m_blocks.back().options.emplace_back(keyword, args.front());
        }
        if (end == text.size()) break;
    }
    return config;
}

SshHostSettings SshConfig::lookup(std::string_view host) const {
    SshHostSettings out;
    bool have_host_name = false, have_user = false;
    for (const auto& block : m_blocks) {
        if (!block_matches(block, host)) continue;
        for (const auto& [keyword, value] : block.options) {
            if (keyword == "hostname" && !have_host_name) {
                out.host_name = value;
                have_host_name = true;
            } else if (keyword == "user" && !have_user) {
                out.user = value;
                have_user = true;
            } else if (keyword == "port" && !out.port) {
                char* end = nullptr;
                long port = std::strtol(value.c_str(), &end, 10);
                if (end && *end == '\0' && port > 0 && port < 65536) out.port = static_cast<int>(port);
            } else if (keyword == "identityfile") {
                // Unlike other keywords, every IdentityFile given is tried, in order.
                out.identity_files.push_back(value);
            }
        }
    }
    // OpenSSH expands %h in HostName to the name given on the command line.
    std::string::size_type at;
    while ((at = out.host_name.find("%h")) != std::string::npos) out.host_name.replace(at, 2, host);
    return out;
}

std::string SshConfig::resolve_host_name(std::string_view host) const {
    SshHostSettings settings = lookup(host);
    return settings.host_name.empty() ? std::string(host) : settings.host_name;
}

}  // namespace agentctl::util

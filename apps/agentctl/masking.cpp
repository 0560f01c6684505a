#include "masking.hpp"

#include "util/text.hpp"

namespace agentctl::cli {

std::string shown_value(const spec::EnvVar& var) { return var.secret ? k_masked : var.value; }

std::vector<std::string> masked_argv(const std::vector<std::string>& argv, const std::vector<spec::EnvVar>& environment) {
    std::vector<std::string> out = argv;
    for (const auto& var : environment) {
        if (!var.secret || var.value.empty()) continue;
        for (auto& arg : out) {
            for (auto at = arg.find(var.value); at != std::string::npos; at = arg.find(var.value, at)) {
                arg.replace(at, var.value.size(), k_masked);
                at += std::char_traits<char>::length(k_masked);
            }
        }
    }
    return out;
}

std::string display_command(const std::vector<std::string>& argv) {
    std::vector<std::string> words;
    for (const auto& arg : argv) {
        const bool safe = !arg.empty() && arg.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                                "0123456789_./:=@%+,-") == std::string::npos;
        words.push_back(safe ? arg : util::shell_quote(arg));
    }
    return util::join(words, " ");
}

}  // namespace agentctl::cli

// agentctl-shim: the parent of one agent process (README.md in this folder is the protocol).
// Plain C++17 and POSIX only, so that it starts in a few milliseconds.

#include <cstdio>
#include <string>

#include "shim_options.hpp"
#include "supervisor.hpp"

int main(int argc, char** argv) {
    agentctl::shim::ShimOptions options;
    std::string error = agentctl::shim::parse_options(argc, argv, options);
    if (options.help) {
        std::fputs(agentctl::shim::usage_text(), stdout);
        return 0;
    }
    if (!error.empty()) {
        // The launcher reads one line from stdout; a person reads stderr.
        std::printf("error usage: %s\n", error.c_str());
        std::fflush(stdout);
        std::fprintf(stderr, "agentctl-shim: %s\n%s", error.c_str(), agentctl::shim::usage_text());
        return 2;
    }
    agentctl::shim::Supervisor supervisor(std::move(options));
    return supervisor.run();
}

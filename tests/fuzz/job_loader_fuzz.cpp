// libFuzzer target: arbitrary bytes through JobLoader (YAML reading, interpolation,
// validation). It must return for every input: no crash, hang, leak or exception.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "spec/job_loader.hpp"

namespace {

// A fixed environment, so that ${VAR} paths with and without a value are both exercised
// and a run never depends on the machine's environment.
std::optional<std::string> fuzz_env(const std::string& name) {
    if (name == "HOME") return std::string("/home/fuzz");
    if (name == "PORT") return std::string("9001");
    if (name == "API_KEY") return std::string("s3cr3t");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace agentctl::spec;
    const std::string text(reinterpret_cast<const char*>(data), size);
    LoadOptions options;
    options.env = fuzz_env;
    // The last byte picks --strict, so both severities of unknown keys are covered.
    options.strict = size > 0 && (data[size - 1] & 1u) != 0;
    // A directory that does not exist: relative env_file / workdir paths stay unreadable.
    const LoadResult result = load_job_text(text, "/nonexistent-agentctl-fuzz/job.yaml", options);
    // The promise of LoadResult: a spec exactly when no diagnostic is an error. A failure
    // without any error message would leave a user with nothing to fix.
    bool has_error = false;
    for (const Diagnostic& diagnostic : result.diagnostics) {
        if (diagnostic.severity == Severity::error) has_error = true;
    }
    if (result.spec.has_value() == has_error) std::abort();
    return 0;
}

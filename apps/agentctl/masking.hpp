#pragma once
// Secrets are shown as "***" wherever agentctl prints a launch (DESIGN.md §2 "Secrets").

#include <string>
#include <vector>

#include "spec/job_spec.hpp"

namespace agentctl::cli {

/// What a secret value is shown as.
constexpr const char* k_masked = "***";

/// `var`'s value as it may be shown: "***" for a secret.
std::string shown_value(const spec::EnvVar& var);

/// `argv` with every occurrence of a secret value of `environment` replaced by "***" (a
/// `$(VAR)` reference to a secret expands into the argv at launch).
std::vector<std::string> masked_argv(const std::vector<std::string>& argv, const std::vector<spec::EnvVar>& environment);

/// An argv as a reader would type it: safe words bare, the others shell-quoted.
std::string display_command(const std::vector<std::string>& argv);

}  // namespace agentctl::cli

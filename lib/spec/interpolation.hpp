#pragma once
// ${VAR} interpolation of job file values, as docker compose does it.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace agentctl::spec {

/// Looks a variable up in the environment agentctl runs in; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment as an EnvLookup.
EnvLookup process_environment();

/// The outcome of interpolating one value.
struct Interpolated {
    std::string value;
    bool used_variable = false;  ///< a ${...} was substituted (the value may be a secret)
    std::string error;           ///< non-empty: unset variable without default, ${VAR:?msg}, bad syntax
};

/// Expands `${VAR}`, `${VAR:-default}` (default when unset or empty), `${VAR-default}` (when
/// unset), `${VAR:?message}` / `${VAR?message}` (error), and `$$` -> `$`. A bare `$NAME` is left
/// as it is. With `keep_launch_refs`, `$$(` is kept as `$$(` so that `command` arguments can
/// still tell a literal `$(` from a launch-time `$(VAR)` reference.
Interpolated interpolate(std::string_view text, const EnvLookup& lookup, bool keep_launch_refs = false);

}  // namespace agentctl::spec

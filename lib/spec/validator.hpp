#pragma once
// Cross-reference checks over a loaded JobSpec (DESIGN.md §2 "Validation"): the checks that
// need the whole job rather than one field. Type and shape checks happen in the loader.

#include "spec/diagnostic.hpp"
#include "spec/job_spec.hpp"

namespace agentctl::spec {

/// Adds to `out` every cross-reference problem of `job`: duplicate ids (also equal after
/// '-' -> '_'), ids named in the topology, depends_on, connections or entry_point that do not
/// exist (with "did you mean"), an agent named twice where the topology allows it once,
/// module/command/image rules per target, required fields per target, two agents on the
/// same host address and port, and notes for agents the topology does not mention.
void validate_job(const JobSpec& job, Diagnostics& out);

}  // namespace agentctl::spec

#pragma once
// Spec hashes: a keyed HMAC over what the job file defines for one agent, so a re-deploy can
// tell changed agents from unchanged ones without storing anything a secret could be read
// from (DESIGN.md §2 "Secrets", §5). Internal to lib/plan.

#include <string>
#include <vector>

#include "plan/plan.hpp"
#include "spec/job_spec.hpp"

namespace agentctl::plan {

/// The canonical JSON text hashed for `agent`: its target, type, module, command, config,
/// resources, health, restart, stop, deployment fields, and each instance's name and
/// environment without JOB_ID (secret values included). Deterministic for the same input.
std::string canonical_spec_text(const spec::AgentSpec& agent, const std::vector<PlannedInstance>& instances);

/// HMAC-SHA256 (64 hex digits) of canonical_spec_text under `key`.
std::string compute_spec_hash(const std::string& key, const spec::AgentSpec& agent,
                              const std::vector<PlannedInstance>& instances);

}  // namespace agentctl::plan

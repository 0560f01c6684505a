#pragma once
// Keyed content hashes: spec hashes are HMACs so a stored hash reveals nothing of a secret.

#include <string>
#include <string_view>

namespace agentctl::util {

/// HMAC-SHA256 of `message` under `key`, as 64 lower-case hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace agentctl::util

#pragma once
// Parsers for the small value formats of job files that are not plain YAML types:
// memory sizes ("512M", "1.5Gi") and octal file modes ("0644"). Internal to lib/spec.

#include <optional>
#include <string_view>

namespace agentctl::spec {

/// Bytes from "536870912", "512M", "512Mi", "512MB", "1.5G", "2g" (binary units, any case;
/// k/m/g/t with optional "i" and "b"); nullopt for anything else or a negative/overflowing size.
std::optional<long long> parse_memory_size(std::string_view text);

/// A permission mode written in octal ("0644", "644", "0o644"); nullopt unless every digit
/// is 0-7 and the value is at most 07777.
std::optional<int> parse_file_mode(std::string_view text);

}  // namespace agentctl::spec

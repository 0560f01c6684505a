#pragma once
// A pure reader for OpenSSH client configuration text (~/.ssh/config). The caller reads the
// file; this turns its text into a lookup table so the topology resolver does no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentctl::util {

/// What ~/.ssh/config says about one host name; empty/unset fields were not given.
struct SshHostSettings {
    std::string host_name;                    ///< HostName (empty: use the alias itself)
    std::string user;                         ///< User
    std::optional<int> port;                  ///< Port
    std::vector<std::string> identity_files;  ///< IdentityFile, in order
};

/// One parsed ssh_config: Host blocks (with * and ? patterns and ! negation) in file order.
class SshConfig {
public:
    /// Parses ssh_config text; unknown keywords are ignored, Match blocks are skipped.
    static SshConfig parse(std::string_view text);

    /// The settings for `host` as OpenSSH resolves them: for each keyword the first value
    /// from the first matching Host block wins.
    SshHostSettings lookup(std::string_view host) const;

    /// The host name to connect to for `host` (its HostName, else `host` itself).
    std::string resolve_host_name(std::string_view host) const;

    struct Block {
        std::vector<std::string> patterns;
        std::vector<std::pair<std::string, std::string>> options;  ///< lower-cased keyword, value
    };

private:
    std::vector<Block> m_blocks;
};

}  // namespace agentctl::util

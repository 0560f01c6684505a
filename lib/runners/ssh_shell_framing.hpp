#pragma once
// The framing of scripts over one long-lived `sh -s` channel per SSH host (one exec channel
// costs sshd ~100 ms of CPU; a script sent to a running shell costs a fork): each script runs
// in a subshell with stdin from /dev/null, its text a quoted `eval` argument read from the
// shell's stdin (never a command line), and its end is a line holding a random per-shell
// marker on stdout (with the exit status) and on stderr. No libssh here: unit-testable.

#include <cstddef>
#include <optional>
#include <string>

namespace agentctl::runners {

/// A fresh random marker (32 hex digits): no remote program can know it in advance.
std::string new_shell_marker();

/// The text to write to the shell's stdin so that it runs `script` in a subshell (stdin from
/// /dev/null), then prints "<marker> <status>" on stdout and "<marker>" on stderr.
std::string frame_shell_script(const std::string& script, const std::string& marker);

/// One output stream of a framed script, read in pieces until its end marker line.
class ShellStreamReader {
public:
    /// A reader keeping at most `max_output` bytes of the script's output.
    ShellStreamReader(std::string marker, std::size_t max_output);

    /// Takes the next bytes of the stream; returns true once the end marker line was seen.
    /// Bytes after the marker line are kept for nothing (a framed script has no more output).
    bool feed(const char* data, std::size_t size);

    /// Whether the end marker line was seen.
    bool done() const { return m_done; }

    /// The script's output before the marker (its first max_output bytes).
    const std::string& output() const { return m_output; }

    /// The number after the marker ("<marker> 3" -> 3); nullopt when there is none.
    std::optional<int> status() const { return m_status; }

private:
    void keep(const std::string& bytes);

    std::string m_marker;
    std::size_t m_max_output;
    std::string m_pending;  ///< unscanned tail that may hold the start of the marker
    std::string m_output;
    std::optional<int> m_status;
    bool m_done = false;
};

}  // namespace agentctl::runners

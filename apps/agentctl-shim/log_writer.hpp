#pragma once
// The agent's log file: every line stamped with the UTC time, appended, rotated by size.

#include <cstdint>
#include <string>
#include <string_view>

namespace agentctl::shim {

/// Appends stamped lines to one log file and rotates it (log -> log.1 -> ... -> log.<keep>).
class LogWriter {
public:
    /// A writer for `path`; nothing is opened until open().
    LogWriter(std::string path, std::uint64_t max_bytes, int keep);
    ~LogWriter();
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;

    /// Creates missing parent directories (0700) and opens the file (append, 0600); returns the
    /// error text, empty on success.
    std::string open();

    /// Appends "<stamp> <text>\n"; `text` holds no newline. Write errors are dropped: the agent
    /// must keep running even on a full disk.
    void write_line(std::string_view text);

    /// Appends one of the shim's own notes, "[agentctl-shim] <text>".
    void note(std::string_view text);

private:
    void rotate();

    std::string m_path;
    std::uint64_t m_max_bytes;
    int m_keep;
    int m_fd = -1;
    std::uint64_t m_size = 0;
};

/// Creates `dir` and its missing parents with mode 0700; returns false (errno set) on failure.
bool make_directories(const std::string& dir);

}  // namespace agentctl::shim

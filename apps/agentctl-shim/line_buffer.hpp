#pragma once
// Splits the agent's output bytes into lines for the log.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace agentctl::shim {

/// Receives one line without its newline.
using LineSink = std::function<void(std::string_view)>;

/// Collects output bytes and hands out complete lines; a line longer than `max_line` is cut
/// into pieces of `max_line` bytes; the unterminated rest waits for flush().
class LineBuffer {
public:
    /// A buffer that splits lines longer than `max_line` bytes.
    explicit LineBuffer(std::size_t max_line);

    /// Adds bytes; hands every complete line to `sink`.
    void feed(const char* data, std::size_t size, const LineSink& sink);

    /// Hands the unterminated rest (if any) to `sink` as one line.
    void flush(const LineSink& sink);

    /// True when bytes without a newline are waiting.
    bool pending() const { return !m_partial.empty(); }

private:
    std::size_t m_max_line;
    std::string m_partial;
};

}  // namespace agentctl::shim

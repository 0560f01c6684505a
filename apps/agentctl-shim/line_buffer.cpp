#include "line_buffer.hpp"

namespace agentctl::shim {

LineBuffer::LineBuffer(std::size_t max_line) : m_max_line(max_line > 0 ? max_line : 1) {}

void LineBuffer::feed(const char* data, std::size_t size, const LineSink& sink) {
    std::string_view rest(data, size);
    while (!rest.empty()) {
        auto newline = rest.find('\n');
        std::size_t take = newline == std::string_view::npos ? rest.size() : newline;
        // Fill the partial line up to the limit; emit a full piece without waiting for '\n'.
        std::size_t room = m_max_line - m_partial.size();
        if (take >= room) {
            m_partial.append(rest.data(), room);
            sink(m_partial);
            m_partial.clear();
            rest.remove_prefix(room);
            // A newline right at the cut ends this line, not a new empty one.
            if (take == room && newline != std::string_view::npos) rest.remove_prefix(1);
            continue;
        }
        m_partial.append(rest.data(), take);
        if (newline == std::string_view::npos) return;
        sink(m_partial);
        m_partial.clear();
        rest.remove_prefix(take + 1);
    }
}

void LineBuffer::flush(const LineSink& sink) {
    if (m_partial.empty()) return;
    sink(m_partial);
    m_partial.clear();
}

}  // namespace agentctl::shim

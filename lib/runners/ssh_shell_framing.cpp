#include "runners/ssh_shell_framing.hpp"

#include <random>

#include "util/text.hpp"

namespace agentctl::runners {

namespace {

// Room after the marker for " <status>\n".
constexpr std::size_t k_status_room = 16;

}  // namespace

std::string new_shell_marker() {
    static const char* k_digits = "0123456789abcdef";
    std::random_device device;
    std::string out = "AGENTCTL-END-";
    for (int i = 0; i < 4; ++i) {
        auto value = device();
        for (int k = 0; k < 8; ++k, value >>= 4) out += k_digits[value & 15];
    }
    return out;
}

std::string frame_shell_script(const std::string& script, const std::string& marker) {
    // The subshell keeps `exit`, `cd`, `set -e` and variables of one script from the next; its
    // stdin is /dev/null so no script can read the next one's text. The marker follows the
    // output directly, so output without a final newline arrives byte-exact.
    return "( eval " + util::shell_quote(script) + "\n) </dev/null\nprintf '%s %s\\n' " + util::shell_quote(marker) +
           " \"$?\"\nprintf '%s\\n' " + util::shell_quote(marker) + " >&2\n";
}

ShellStreamReader::ShellStreamReader(std::string marker, std::size_t max_output)
    : m_marker(std::move(marker)), m_max_output(max_output) {}

void ShellStreamReader::keep(const std::string& bytes) {
    if (m_output.size() < m_max_output) m_output.append(bytes, 0, m_max_output - m_output.size());
}

bool ShellStreamReader::feed(const char* data, std::size_t size) {
    if (m_done) return true;
    m_pending.append(data, size);
    const auto found = m_pending.find(m_marker);
    if (found == std::string::npos) {
        // Everything but a tail that could be the start of the marker is output.
        const std::size_t hold = m_marker.size() + k_status_room;
        if (m_pending.size() > hold) {
            keep(m_pending.substr(0, m_pending.size() - hold));
            m_pending.erase(0, m_pending.size() - hold);
        }
        return false;
    }
    const auto end_of_line = m_pending.find('\n', found);
    if (end_of_line == std::string::npos) return false;  // the status is still on its way
    keep(m_pending.substr(0, found));
    const std::string rest = m_pending.substr(found + m_marker.size(), end_of_line - found - m_marker.size());
    if (rest.size() > 1 && rest[0] == ' ') {
        try {
            m_status = std::stoi(rest.substr(1));
        } catch (const std::exception&) {
            m_status.reset();
        }
    }
    m_pending.clear();
    m_done = true;
    return true;
}

}  // namespace agentctl::runners

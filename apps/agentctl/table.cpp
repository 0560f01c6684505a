#include "table.hpp"

#include <algorithm>

namespace agentctl::cli {

std::size_t display_width(const std::string& text) {
    // Continuation bytes (10xxxxxx) do not start a new character.
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Table::Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(m_headers.size());
    m_rows.push_back(std::move(cells));
}

std::vector<std::size_t> Table::widths() const {
    std::vector<std::size_t> widths;
    for (const auto& header : m_headers) widths.push_back(display_width(header));
    for (const auto& row : m_rows) {
        for (std::size_t column = 0; column < row.size(); ++column) {
            widths[column] = std::max(widths[column], display_width(row[column]));
        }
    }
    return widths;
}

namespace {

std::string layout_line(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                        const std::string& indent) {
    std::string line = indent;
    for (std::size_t column = 0; column < cells.size(); ++column) {
        line += cells[column];
        if (column + 1 < cells.size()) line.append(widths[column] - display_width(cells[column]) + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line;
}

std::vector<std::size_t> at_least(std::vector<std::size_t> widths, const std::vector<std::size_t>& min_widths) {
    for (std::size_t column = 0; column < widths.size() && column < min_widths.size(); ++column) {
        widths[column] = std::max(widths[column], min_widths[column]);
    }
    return widths;
}

}  // namespace

std::string Table::render_header(const std::vector<std::size_t>& min_widths, const std::string& indent) const {
    return layout_line(m_headers, at_least(widths(), min_widths), indent);
}

std::string Table::render_rows(const std::vector<std::size_t>& min_widths, const std::string& indent) const {
    const auto widths = at_least(this->widths(), min_widths);
    std::string text;
    for (const auto& row : m_rows) text += layout_line(row, widths, indent) + '\n';
    return text;
}

std::string Table::render(const std::vector<std::size_t>& min_widths, const std::string& indent) const {
    return render_header(min_widths, indent) + '\n' + render_rows(min_widths, indent);
}

std::vector<std::size_t> common_widths(const std::vector<Table>& tables) {
    std::vector<std::size_t> widths;
    for (const auto& table : tables) {
        const auto own = table.widths();
        if (widths.size() < own.size()) widths.resize(own.size(), 0);
        for (std::size_t column = 0; column < own.size(); ++column) widths[column] = std::max(widths[column], own[column]);
    }
    return widths;
}

}  // namespace agentctl::cli

#pragma once
// Plain-text tables in the kubectl/docker style: an upper-case header row, columns padded
// to their widest cell and separated by three spaces, no borders.

#include <cstddef>
#include <string>
#include <vector>

namespace agentctl::cli {

/// A table built row by row and rendered once.
class Table {
public:
    /// Starts a table with these column headers.
    explicit Table(std::vector<std::string> headers);

    /// Appends a row; missing cells are empty, extra cells are ignored.
    void add_row(std::vector<std::string> cells);

    /// The display width of each column (header and cells, in UTF-8 code points).
    std::vector<std::size_t> widths() const;

    /// The table with each column at least as wide as `min_widths` says, every line ending in
    /// '\n' and no trailing spaces; `indent` is prepended to each line.
    std::string render(const std::vector<std::size_t>& min_widths = {}, const std::string& indent = {}) const;

    /// The header line alone, laid out as render() lays it out, without its '\n' (so that the
    /// caller can paint it).
    std::string render_header(const std::vector<std::size_t>& min_widths = {}, const std::string& indent = {}) const;

    /// The rows alone, laid out as render() lays them out, each ending in '\n'.
    std::string render_rows(const std::vector<std::size_t>& min_widths = {}, const std::string& indent = {}) const;

    /// True when no row was added.
    bool empty() const { return m_rows.empty(); }

private:
    std::vector<std::string> m_headers;
    std::vector<std::vector<std::string>> m_rows;
};

/// The column-wise maximum of several tables' widths, so that they can be rendered aligned.
std::vector<std::size_t> common_widths(const std::vector<Table>& tables);

/// The number of UTF-8 code points in `text` (what a terminal shows for plain text).
std::size_t display_width(const std::string& text);

}  // namespace agentctl::cli

#include "log_writer.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "time_text.hpp"

namespace agentctl::shim {

namespace {

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return {};
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

bool make_directories(const std::string& dir) {
    if (dir.empty() || dir == "/") return true;
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) return true;
        errno = ENOTDIR;
        return false;
    }
    if (!make_directories(parent_of(dir))) return false;
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return false;
    return true;
}

LogWriter::LogWriter(std::string path, std::uint64_t max_bytes, int keep)
    : m_path(std::move(path)), m_max_bytes(max_bytes), m_keep(keep) {}

LogWriter::~LogWriter() {
    if (m_fd >= 0) ::close(m_fd);
}

std::string LogWriter::open() {
    if (!make_directories(parent_of(m_path))) return "log directory of " + m_path + ": " + std::strerror(errno);
    int fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return "log " + m_path + ": " + std::strerror(errno);
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
    struct stat info {};
    m_size = ::fstat(fd, &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
    return {};
}

void LogWriter::write_line(std::string_view text) {
    if (m_fd < 0) return;
    std::string line = utc_micros(wall_clock_now());
    line.reserve(line.size() + text.size() + 2);
    line += ' ';
    line.append(text.data(), text.size());
    line += '\n';
    // Rotate before a line would carry the file past the limit, so files stay under it
    // (a single line longer than the limit still goes whole into a fresh file).
    if (m_max_bytes > 0 && m_size > 0 && m_size + line.size() > m_max_bytes) rotate();
    if (m_fd < 0) return;
    // One write() per line: with O_APPEND a reader never sees two lines interleaved.
    if (write_all(m_fd, line.data(), line.size())) m_size += line.size();
}

void LogWriter::note(std::string_view text) {
    std::string line = "[agentctl-shim] ";
    line.append(text.data(), text.size());
    write_line(line);
}

void LogWriter::rotate() {
    ::close(m_fd);
    m_fd = -1;
    if (m_keep <= 0) {
        ::unlink(m_path.c_str());
    } else {
        // rename() replaces the oldest file, so log.<keep> simply falls off the end.
        for (int i = m_keep - 1; i >= 1; --i) {
            std::string from = m_path + "." + std::to_string(i);
            std::string to = m_path + "." + std::to_string(i + 1);
            ::rename(from.c_str(), to.c_str());
        }
        std::string first = m_path + ".1";
        ::rename(m_path.c_str(), first.c_str());
    }
    open();
}

}  // namespace agentctl::shim

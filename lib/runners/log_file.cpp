#include "runners/log_file.hpp"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace agentctl::runners {

namespace {

constexpr auto k_follow_poll = std::chrono::milliseconds(100);

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        char c = text[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return true;
}

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// Turns file bytes into log lines, carrying the last stamp to unstamped lines.
class LineDecoder {
public:
    void feed(const char* data, std::size_t size, const std::function<void(const LogLine&)>& emit) {
        std::size_t start = 0;
        for (std::size_t i = 0; i < size; ++i) {
            if (data[i] != '\n') continue;
            m_partial.append(data + start, i - start);
            emit(decode(m_partial));
            m_partial.clear();
            start = i + 1;
        }
        m_partial.append(data + start, size - start);
    }

    // The rest of a file that did not end with a newline.
    void finish(const std::function<void(const LogLine&)>& emit) {
        if (m_partial.empty()) return;
        emit(decode(m_partial));
        m_partial.clear();
    }

private:
    LogLine decode(const std::string& text) {
        auto parsed = parse_log_line(text);
        if (parsed) {
            m_last_time = parsed->time;
            return *parsed;
        }
        return LogLine{m_last_time, text};
    }

    std::string m_partial;
    Clock::time_point m_last_time{};
};

// Reads `fd` from its current offset to end of file.
void drain_fd(int fd, LineDecoder& decoder, const std::function<void(const LogLine&)>& emit) {
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        decoder.feed(buffer, static_cast<std::size_t>(n), emit);
    }
}

// Follows the live file: new bytes, a rotation (the path names a new file) or a truncation.
void follow(const std::string& path, int fd, LineDecoder& decoder, const LogOptions& options,
            const std::function<void(const LogLine&)>& sink) {
    for (;;) {
        if (options.stop_following && options.stop_following()) break;
        if (fd >= 0) drain_fd(fd, decoder, sink);
        struct stat named {};
        bool exists = ::stat(path.c_str(), &named) == 0;
        struct stat opened {};
        if (fd >= 0 && ::fstat(fd, &opened) == 0) {
            if (exists && (named.st_ino != opened.st_ino || named.st_dev != opened.st_dev)) {
                // Rotated: the old file is complete (drained above); continue with the new one.
                drain_fd(fd, decoder, sink);
                decoder.finish(sink);
                ::close(fd);
                fd = -1;
            } else if (::lseek(fd, 0, SEEK_CUR) > opened.st_size) {
                ::lseek(fd, 0, SEEK_SET);
            }
        }
        if (fd < 0 && exists) {
            fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            continue;
        }
        std::this_thread::sleep_for(k_follow_poll);
    }
    if (fd >= 0) ::close(fd);
}

}  // namespace

std::optional<Clock::time_point> parse_utc_time(std::string_view text) {
    int year, month, day, hour, minute, second;
    if (text.size() < 20 || !digits(text, 0, 4, year) || text[4] != '-' || !digits(text, 5, 2, month) ||
        text[7] != '-' || !digits(text, 8, 2, day) || text[10] != 'T' || !digits(text, 11, 2, hour) ||
        text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    std::size_t at = 19;
    long long micros = 0;
    if (text[at] == '.') {
        ++at;
        int count = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (count < 6) micros = micros * 10 + (text[at] - '0');
            ++count;
            ++at;
        }
        if (count == 0) return std::nullopt;
        for (; count < 6; ++count) micros *= 10;
    }
    if (at + 1 != text.size() || text[at] != 'Z') return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::tm parts{};
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    std::time_t seconds = ::timegm(&parts);
    return Clock::from_time_t(seconds) + std::chrono::microseconds(micros);
}

std::string format_log_time(Clock::time_point time) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    long long seconds = micros / 1000000;
    long long fraction = micros % 1000000;
    if (fraction < 0) {
        fraction += 1000000;
        --seconds;
    }
    std::time_t whole = static_cast<std::time_t>(seconds);
    std::tm parts{};
    ::gmtime_r(&whole, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, fraction);
    return buffer;
}

std::optional<LogLine> parse_log_line(std::string_view line) {
    auto space = line.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    auto time = parse_utc_time(line.substr(0, space));
    if (!time) return std::nullopt;
    return LogLine{*time, std::string(line.substr(space + 1))};
}

std::vector<std::string> log_files(const std::string& path) {
    std::vector<std::string> files;
    // The shim keeps at most --log-keep files; look a little further for leftovers of a larger
    // setting, but stop at the first gap.
    for (int i = 1; i <= 1000; ++i) {
        std::string rotated = path + "." + std::to_string(i);
        if (!file_exists(rotated)) break;
        files.push_back(rotated);
    }
    std::vector<std::string> ordered(files.rbegin(), files.rend());
    if (file_exists(path)) ordered.push_back(path);
    return ordered;
}

void read_log(const std::string& path, const LogOptions& options, const std::function<void(const LogLine&)>& sink) {
    std::deque<LogLine> kept;
    auto keep = [&](const LogLine& line) {
        if (options.since && line.time < *options.since) return;
        if (options.tail) {
            if (*options.tail == 0) return;
            if (kept.size() == *options.tail) kept.pop_front();
        }
        kept.push_back(line);
    };
    LineDecoder decoder;
    // Rotated files first (complete), then the live file through the descriptor that a follow
    // continues from, so that no line is lost or read twice between the two.
    for (const auto& file : log_files(path)) {
        if (file == path) break;
        int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        drain_fd(fd, decoder, keep);
        decoder.finish(keep);
        ::close(fd);
    }
    int live = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (live >= 0) drain_fd(live, decoder, keep);
    if (!options.follow) decoder.finish(keep);
    for (const auto& line : kept) sink(line);
    if (!options.follow) {
        if (live >= 0) ::close(live);
        return;
    }
    follow(path, live, decoder, options, sink);
}

}  // namespace agentctl::runners

// Parsing and reading the shim's log files (written by hand here, in the shim's format).

#include "runners/log_file.hpp"

#include <catch2/catch.hpp>

#include <fstream>

#include "runners/runner_test_support.hpp"

namespace {

using agentctl::runners::Clock;
using agentctl::runners::format_log_time;
using agentctl::runners::log_files;
using agentctl::runners::LogLine;
using agentctl::runners::LogOptions;
using agentctl::runners::parse_log_line;
using agentctl::runners::parse_utc_time;
using agentctl::runners::read_log;
using agentctl::test::TempDir;

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
}

long long micros_since_epoch(Clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::vector<std::string> texts_of(const std::string& path, const LogOptions& options) {
    std::vector<std::string> texts;
    read_log(path, options, [&](const LogLine& line) { texts.push_back(line.text); });
    return texts;
}

}  // namespace

TEST_CASE("parse_utc_time reads RFC 3339 UTC stamps", "[log]") {
    // 2026-11-23T09:30:00Z is 1795426200 s after the epoch.
    auto micro = parse_utc_time("2026-11-23T09:30:00.123456Z");
    REQUIRE(micro.has_value());
    CHECK(micros_since_epoch(*micro) == 1795426200123456LL);
    auto milli = parse_utc_time("2026-11-23T09:30:00.123Z");
    REQUIRE(milli.has_value());
    CHECK(micros_since_epoch(*milli) == 1795426200123000LL);
    auto whole = parse_utc_time("1970-01-01T00:00:01Z");
    REQUIRE(whole.has_value());
    CHECK(micros_since_epoch(*whole) == 1000000LL);
    auto nanos = parse_utc_time("1970-01-01T00:00:00.000000999Z");
    REQUIRE(nanos.has_value());
    CHECK(micros_since_epoch(*nanos) == 0);

    CHECK_FALSE(parse_utc_time("2026-11-23 09:30:00Z"));
    CHECK_FALSE(parse_utc_time("2026-11-23T09:30:00"));
    CHECK_FALSE(parse_utc_time("2026-11-23T09:30:00.Z"));
    CHECK_FALSE(parse_utc_time("2026-13-23T09:30:00Z"));
    CHECK_FALSE(parse_utc_time("2026-11-23T09:30:00+01:00"));
    CHECK_FALSE(parse_utc_time(""));
}

TEST_CASE("format_log_time writes the shim's stamp", "[log]") {
    Clock::time_point time{std::chrono::microseconds(1795426200123456LL)};
    CHECK(format_log_time(time) == "2026-11-23T09:30:00.123456Z");
    CHECK(format_log_time(Clock::time_point{}) == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("parse_log_line splits the stamp from the text", "[log]") {
    auto line = parse_log_line("2026-11-23T09:30:00.123456Z hello  world ");
    REQUIRE(line.has_value());
    CHECK(line->text == "hello  world ");
    CHECK(micros_since_epoch(line->time) == 1795426200123456LL);
    auto empty = parse_log_line("2026-11-23T09:30:00.123456Z ");
    REQUIRE(empty.has_value());
    CHECK(empty->text.empty());
    CHECK_FALSE(parse_log_line("no stamp here"));
    CHECK_FALSE(parse_log_line("2026-11-23T09:30:00.123456Z"));
}

TEST_CASE("read_log reads rotated files oldest first, with since and tail", "[log]") {
    TempDir dir;
    std::string log = dir / "a.log";
    write_file(log + ".2", "2026-11-23T09:30:01.000000Z one\n2026-11-23T09:30:02.000000Z two\n");
    write_file(log + ".1", "2026-11-23T09:30:03.000000Z three\nunstamped continuation\n");
    write_file(log, "2026-11-23T09:30:04.000000Z four\n2026-11-23T09:30:05.000000Z five\n");
    // A gap in the numbering ends the rotated set.
    write_file(log + ".4", "2026-11-23T09:29:00.000000Z stale\n");

    CHECK(log_files(log) == std::vector<std::string>{log + ".2", log + ".1", log});
    CHECK(texts_of(log, {}) ==
          std::vector<std::string>{"one", "two", "three", "unstamped continuation", "four", "five"});

    LogOptions tail;
    tail.tail = 3;
    CHECK(texts_of(log, tail) == std::vector<std::string>{"unstamped continuation", "four", "five"});

    // The unstamped line carries the stamp of the line before it (09:30:03).
    LogOptions since;
    since.since = *parse_utc_time("2026-11-23T09:30:03.000000Z");
    CHECK(texts_of(log, since) == std::vector<std::string>{"three", "unstamped continuation", "four", "five"});

    LogOptions both;
    both.since = *parse_utc_time("2026-11-23T09:30:01.500000Z");
    both.tail = 2;
    CHECK(texts_of(log, both) == std::vector<std::string>{"four", "five"});

    LogOptions none;
    none.tail = 0;
    CHECK(texts_of(log, none).empty());
}

TEST_CASE("read_log of a missing log reads nothing", "[log]") {
    TempDir dir;
    CHECK(texts_of(dir / "absent.log", {}).empty());
    CHECK(log_files(dir / "absent.log").empty());
}

TEST_CASE("read_log follows appended lines and a rotation until told to stop", "[log]") {
    TempDir dir;
    std::string log = dir / "a.log";
    write_file(log, "2026-11-23T09:30:01.000000Z first\n");
    std::vector<std::string> seen;
    int polls = 0;
    LogOptions options;
    options.follow = true;
    options.stop_following = [&] {
        ++polls;
        if (polls == 2) {
            std::ofstream(log, std::ios::app) << "2026-11-23T09:30:02.000000Z second\n2026-11-23T09:30:03.000000Z thi";
        } else if (polls == 3) {
            std::ofstream(log, std::ios::app) << "rd\n";
            std::rename(log.c_str(), (log + ".1").c_str());
        } else if (polls == 4) {
            write_file(log, "2026-11-23T09:30:04.000000Z fourth\n");
        }
        return polls >= 7;
    };
    read_log(log, options, [&](const LogLine& line) { seen.push_back(line.text); });
    CHECK(seen == std::vector<std::string>{"first", "second", "third", "fourth"});
}

#include <catch2/catch.hpp>

#include "util/duration.hpp"

using agentctl::util::format_duration;
using agentctl::util::Millis;
using agentctl::util::parse_duration;

TEST_CASE("parse_duration reads bare seconds and unit strings") {
    CHECK(parse_duration("30") == Millis(30000));
    CHECK(parse_duration("0.5") == Millis(500));
    CHECK(parse_duration("500ms") == Millis(500));
    CHECK(parse_duration("10s") == Millis(10000));
    CHECK(parse_duration("5m") == Millis(300000));
    CHECK(parse_duration("1h") == Millis(3600000));
    CHECK(parse_duration("1m30s") == Millis(90000));
    CHECK(parse_duration("1.5s") == Millis(1500));
    CHECK(parse_duration(" 2s ") == Millis(2000));
    CHECK(parse_duration("0") == Millis(0));
}

TEST_CASE("parse_duration refuses what is not a duration") {
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("abc"));
    CHECK_FALSE(parse_duration("-5s"));
    CHECK_FALSE(parse_duration("10x"));
    CHECK_FALSE(parse_duration("1m30"));
    CHECK_FALSE(parse_duration("5 s"));
    CHECK_FALSE(parse_duration("s"));
    CHECK_FALSE(parse_duration("1e400"));
}

TEST_CASE("format_duration writes compact exact durations") {
    CHECK(format_duration(Millis(0)) == "0s");
    CHECK(format_duration(Millis(250)) == "250ms");
    CHECK(format_duration(Millis(1500)) == "1.5s");
    CHECK(format_duration(Millis(1050)) == "1.05s");
    CHECK(format_duration(Millis(120000)) == "2m");
    CHECK(format_duration(Millis(5400000)) == "1h30m");
    CHECK(format_duration(Millis(3661000)) == "1h1m1s");
}

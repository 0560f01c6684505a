#include <catch2/catch.hpp>

#include "util/text.hpp"

using namespace agentctl::util;

TEST_CASE("shell_quote wraps every argument in single quotes") {
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("plain") == "'plain'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("$(rm -rf /); `x` \"q\"\n") == "'$(rm -rf /); `x` \"q\"\n'");
    CHECK(shell_quote("''") == "''\\'''\\'''");
}

TEST_CASE("shell_quote round-trips through a real POSIX shell") {
    // Each argument is echoed back by /bin/sh; what comes out must be the bytes that went in.
    const std::vector<std::string> hostile = {"it's", "a\"b", "$(id)", "`id`", "a;b", "line1\nline2", "caf\xc3\xa9", "*", ""};
    for (const auto& arg : hostile) {
        std::string command = "printf %s " + shell_quote(arg);
        FILE* pipe = popen(command.c_str(), "r");
        REQUIRE(pipe != nullptr);
        std::string out;
        char buffer[256];
        std::size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
        CHECK(pclose(pipe) == 0);
        CHECK(out == arg);
    }
}

TEST_CASE("shell_join quotes each argument") {
    CHECK(shell_join({"echo", "a b", "it's"}) == "'echo' 'a b' 'it'\\''s'");
    CHECK(shell_join({}).empty());
}

TEST_CASE("did_you_mean suggests close candidates only") {
    const std::vector<std::string> keys = {"spokes", "hub", "stages", "connections"};
    CHECK(did_you_mean("spokess", keys) == "spokes");
    CHECK(did_you_mean("hbu", keys) == "hub");
    CHECK(did_you_mean("conections", keys) == "connections");
    CHECK(did_you_mean("zzzzzz", keys).empty());
    CHECK(did_you_mean("x", {}).empty());
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("hub", "hbu") == 1);
}

TEST_CASE("env_name_of upper-cases and maps dashes") {
    CHECK(env_name_of("port") == "PORT");
    CHECK(env_name_of("my-key_2") == "MY_KEY_2");
    CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
}

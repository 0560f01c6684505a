#include "spec/interpolation.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>

using agentctl::spec::EnvLookup;
using agentctl::spec::interpolate;
using agentctl::spec::Interpolated;
using agentctl::spec::process_environment;

namespace {

EnvLookup env(std::map<std::string, std::string> values) {
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        auto found = values.find(name);
        if (found == values.end()) {
            return std::nullopt;
        }
        return found->second;
    };
}

const EnvLookup k_env = env({{"KEY", "s3cret"}, {"EMPTY", ""}, {"HOST", "db.local"}, {"PORT", "5432"}});

}  // namespace

TEST_CASE("text without references comes back unchanged", "[interpolation]") {
    const Interpolated r = interpolate("plain text: 100% {braces}", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "plain text: 100% {braces}");
    CHECK_FALSE(r.used_variable);
}

TEST_CASE("${VAR} is replaced by its value and marks the value as from the environment", "[interpolation]") {
    const Interpolated r = interpolate("postgres://${HOST}:${PORT}/app", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "postgres://db.local:5432/app");
    CHECK(r.used_variable);
}

TEST_CASE("${VAR} set to the empty string gives the empty string", "[interpolation]") {
    const Interpolated r = interpolate("[${EMPTY}]", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "[]");
    CHECK(r.used_variable);
}

TEST_CASE("an unset ${VAR} without a default is an error", "[interpolation]") {
    const Interpolated r = interpolate("key=${WEATHER_API_KEY}", k_env);
    CHECK(r.error == "variable WEATHER_API_KEY is not set");
}

TEST_CASE("${VAR:-default} uses the default when unset or empty", "[interpolation]") {
    CHECK(interpolate("${NOPE:-fallback}", k_env).value == "fallback");
    CHECK(interpolate("${EMPTY:-fallback}", k_env).value == "fallback");
    CHECK(interpolate("${KEY:-fallback}", k_env).value == "s3cret");
    CHECK(interpolate("${NOPE:-}", k_env).value == "");
    CHECK(interpolate("${NOPE:-a b-c:d}", k_env).value == "a b-c:d");
}

TEST_CASE("${VAR-default} uses the default only when unset", "[interpolation]") {
    CHECK(interpolate("${NOPE-fallback}", k_env).value == "fallback");
    CHECK(interpolate("${EMPTY-fallback}", k_env).value == "");
    CHECK(interpolate("${KEY-fallback}", k_env).value == "s3cret");
}

TEST_CASE("${VAR:?message} fails with the message when unset or empty", "[interpolation]") {
    CHECK(interpolate("${WEATHER_API_KEY:?must be set}", k_env).error == "WEATHER_API_KEY: must be set");
    CHECK(interpolate("${EMPTY:?must not be empty}", k_env).error == "EMPTY: must not be empty");
    const Interpolated ok = interpolate("${KEY:?must be set}", k_env);
    CHECK(ok.error.empty());
    CHECK(ok.value == "s3cret");
    CHECK(ok.used_variable);
}

TEST_CASE("${VAR?message} fails only when unset", "[interpolation]") {
    CHECK(interpolate("${WEATHER_API_KEY?needed}", k_env).error == "WEATHER_API_KEY: needed");
    const Interpolated empty = interpolate("<${EMPTY?needed}>", k_env);
    CHECK(empty.error.empty());
    CHECK(empty.value == "<>");
}

TEST_CASE("${VAR:?} without a message still names the variable", "[interpolation]") {
    CHECK(interpolate("${NOPE:?}", k_env).error == "variable NOPE is not set");
    CHECK(interpolate("${EMPTY:?}", k_env).error == "variable EMPTY is empty");
}

TEST_CASE("$$ is a literal dollar", "[interpolation]") {
    const Interpolated r = interpolate("price: $$5, $${KEY}", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "price: $5, ${KEY}");
    CHECK_FALSE(r.used_variable);
}

TEST_CASE("a bare $NAME, $(VAR) or lone $ is left as it is", "[interpolation]") {
    const Interpolated r = interpolate("$HOME and $(AGENT_PORT) cost $ 5 $", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "$HOME and $(AGENT_PORT) cost $ 5 $");
    CHECK_FALSE(r.used_variable);
}

TEST_CASE("defaults may themselves hold references", "[interpolation]") {
    CHECK(interpolate("${NOPE:-${HOST}:${PORT}}", k_env).value == "db.local:5432");
    CHECK(interpolate("${NOPE:-${ALSO_NOPE:-deep}}", k_env).value == "deep");
    CHECK(interpolate("${NOPE:-${ALSO_NOPE}}", k_env).error == "variable ALSO_NOPE is not set");
    // A default that is not used is not expanded, so its unset variables are no error.
    CHECK(interpolate("${KEY:-${ALSO_NOPE}}", k_env).value == "s3cret");
}

TEST_CASE("used_variable is true only when a value came from the environment", "[interpolation]") {
    CHECK_FALSE(interpolate("${NOPE:-literal}", k_env).used_variable);
    CHECK_FALSE(interpolate("${NOPE-${ALSO_NOPE:-x}}", k_env).used_variable);
    CHECK(interpolate("${NOPE:-${HOST}}", k_env).used_variable);
    CHECK(interpolate("${EMPTY-unused}", k_env).used_variable);
}

TEST_CASE("an unterminated ${ is an error", "[interpolation]") {
    CHECK(interpolate("abc ${KEY", k_env).error == "unterminated '${' (write $$ for a literal $)");
    CHECK(interpolate("${NOPE:-${KEY}", k_env).error == "unterminated '${' (write $$ for a literal $)");
}

TEST_CASE("a bad name inside ${...} is an error", "[interpolation]") {
    CHECK(interpolate("${a b}", k_env).error == "invalid variable name 'a b' in ${...}");
    CHECK(interpolate("${1ABC}", k_env).error == "invalid variable name '1ABC' in ${...}");
    CHECK(interpolate("${}", k_env).error == "invalid variable name '' in ${...}");
    CHECK(interpolate("${A.B:-x}", k_env).error == "invalid variable name 'A.B:-x' in ${...}");
}

TEST_CASE("names may use letters, digits after the first, and underscores", "[interpolation]") {
    const Interpolated r = interpolate("${_x1:-a}${Mixed_Case9-b}", k_env);
    CHECK(r.error.empty());
    CHECK(r.value == "ab");
}

TEST_CASE("the first error wins", "[interpolation]") {
    CHECK(interpolate("${FIRST} ${SECOND}", k_env).error == "variable FIRST is not set");
}

TEST_CASE("keep_launch_refs keeps $$( so launch can tell a literal $( apart", "[interpolation]") {
    const Interpolated kept = interpolate("echo $$(date) $(AGENT_PORT) $$HOME ${PORT}", k_env, true);
    CHECK(kept.error.empty());
    CHECK(kept.value == "echo $$(date) $(AGENT_PORT) $HOME 5432");

    const Interpolated plain = interpolate("echo $$(date)", k_env, false);
    CHECK(plain.value == "echo $(date)");
}

TEST_CASE("environment values are not expanded again", "[interpolation]") {
    const EnvLookup lookup = env({{"A", "${B}"}, {"B", "no"}});
    CHECK(interpolate("${A}", lookup).value == "${B}");
}

TEST_CASE("hostile nesting of defaults is refused rather than recursed into", "[interpolation]") {
    std::string text;
    for (int i = 0; i < 10000; ++i) {
        text += "${A:-";
    }
    text += "x" + std::string(10000, '}');
    const Interpolated r = interpolate(text, k_env);
    CHECK(r.error == "${...} defaults nested more than 16 deep");
}

TEST_CASE("process_environment reads the real environment", "[interpolation]") {
    ::setenv("AGENTCTL_INTERPOLATION_TEST", "from-env", 1);
    ::unsetenv("AGENTCTL_INTERPOLATION_TEST_UNSET");
    const EnvLookup lookup = process_environment();
    CHECK(lookup("AGENTCTL_INTERPOLATION_TEST") == std::optional<std::string>("from-env"));
    CHECK_FALSE(lookup("AGENTCTL_INTERPOLATION_TEST_UNSET").has_value());
    CHECK(interpolate("v=${AGENTCTL_INTERPOLATION_TEST}", lookup).value == "v=from-env");
}

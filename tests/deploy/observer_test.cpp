// Progress output: console (colour or not), plain lines, JSON lines, quiet.

#include "deploy/observer.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

using agentctl::deploy::InstanceStep;
using agentctl::deploy::instance_step_name;
using agentctl::deploy::make_observer;
using agentctl::deploy::Observer;
using agentctl::deploy::ProgressStyle;
using Millis = std::chrono::milliseconds;

namespace {

// The same short deploy, told to any observer.
void tell_a_deploy(Observer& observer) {
    observer.begin("deploy", "travel", 2);
    observer.wave(0, 2, {"maps", "weather"});
    observer.instance("maps", InstanceStep::keeping, "unchanged");
    observer.instance("weather", InstanceStep::starting, "");
    observer.instance("weather", InstanceStep::ready, "in 120ms");
    observer.wave(1, 2, {"web"});
    observer.instance("web", InstanceStep::stopping, "replacing");
    observer.instance("web", InstanceStep::stopped, "");
    observer.instance("web", InstanceStep::failed, "exit status 3");
    observer.note("last lines of its log:\n  | boom\n");
    observer.begin("rollback", "travel", 2);
    observer.instance("web", InstanceStep::restoring, "revision 1");
    observer.end(false, "Deploy of travel failed; rolled back", Millis(2345));
}

std::string told_to(ProgressStyle style, bool color) {
    std::ostringstream out;
    auto observer = make_observer(style, out, color);
    tell_a_deploy(*observer);
    return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("instance steps have their progress spelling", "[observer]") {
    CHECK(std::string(instance_step_name(InstanceStep::keeping)) == "keeping");
    CHECK(std::string(instance_step_name(InstanceStep::starting)) == "starting");
    CHECK(std::string(instance_step_name(InstanceStep::started)) == "started");
    CHECK(std::string(instance_step_name(InstanceStep::ready)) == "ready");
    CHECK(std::string(instance_step_name(InstanceStep::failed)) == "failed");
    CHECK(std::string(instance_step_name(InstanceStep::stopping)) == "stopping");
    CHECK(std::string(instance_step_name(InstanceStep::stopped)) == "stopped");
    CHECK(std::string(instance_step_name(InstanceStep::restoring)) == "restoring");
}

TEST_CASE("plain progress is one line per event, in words", "[observer]") {
    CHECK(lines_of(told_to(ProgressStyle::plain, false)) == std::vector<std::string>{
              "Deploy travel (revision 2)",
              "Stage 1/2: maps, weather",
              "  maps keeping: unchanged",
              "  weather starting",
              "  weather ready: in 120ms",
              "Stage 2/2: web",
              "  web stopping: replacing",
              "  web stopped",
              "  web failed: exit status 3",
              "last lines of its log:",
              "  | boom",
              "Rollback travel (revision 2)",
              "  web restoring: revision 1",
              "Deploy of travel failed; rolled back in 2.3s",
          });
}

TEST_CASE("plain progress leaves colour out even when asked for it", "[observer]") {
    CHECK(told_to(ProgressStyle::plain, true).find('\033') == std::string::npos);
}

TEST_CASE("plain progress: a begin without a revision, a note without a newline, a quick end", "[observer]") {
    std::ostringstream out;
    auto observer = make_observer(ProgressStyle::plain, out, false);
    observer->begin("stop", "travel", 0);
    observer->note("no agents are running");
    observer->end(true, "Stopped 0 instance(s) of travel", Millis(45));
    CHECK(out.str() == "Stop travel\nno agents are running\nStopped 0 instance(s) of travel in 0.0s\n");
}

TEST_CASE("console progress with colour carries escape codes and symbols", "[observer]") {
    const std::string text = told_to(ProgressStyle::console, true);
    auto lines = lines_of(text);
    REQUIRE(lines.size() == 14);
    CHECK(lines[0] == "\033[1mDeploy travel\033[0m (revision 2)");
    CHECK(lines[1] == "\033[1mStage 1/2\033[0m: maps, weather");
    CHECK(lines[2] == "  \033[36m=\033[0m maps \033[36mkeeping\033[0m: unchanged");
    CHECK(lines[4] == "  \033[32m✓\033[0m weather \033[32mready\033[0m: in 120ms");
    CHECK(lines[8] == "  \033[31m✗\033[0m web \033[31mfailed\033[0m: exit status 3");
    CHECK(lines[13] == "\033[31mDeploy of travel failed; rolled back\033[0m in 2.3s");
}

TEST_CASE("console progress without colour has symbols but no escape codes", "[observer]") {
    const std::string text = told_to(ProgressStyle::console, false);
    CHECK(text.find('\033') == std::string::npos);
    auto lines = lines_of(text);
    REQUIRE(lines.size() == 14);
    CHECK(lines[0] == "Deploy travel (revision 2)");
    CHECK(lines[2] == "  = maps keeping: unchanged");
    CHECK(lines[3] == "  … weather starting");
    CHECK(lines[4] == "  ✓ weather ready: in 120ms");
    CHECK(lines[7] == "  ■ web stopped");
    CHECK(lines[8] == "  ✗ web failed: exit status 3");
    CHECK(lines[13] == "Deploy of travel failed; rolled back in 2.3s");
}

TEST_CASE("json progress is one object per line with the event's fields", "[observer]") {
    auto lines = lines_of(told_to(ProgressStyle::json, false));
    REQUIRE(lines.size() == 13);
    std::vector<nlohmann::json> events;
    for (const auto& line : lines) {
        auto event = nlohmann::json::parse(line);
        CHECK(event.at("time_ms").is_number_integer());
        CHECK(event.at("time_ms").get<long long>() > 1600000000000LL);
        events.push_back(event);
    }
    CHECK(events[0].at("event") == "begin");
    CHECK(events[0].at("action") == "deploy");
    CHECK(events[0].at("job") == "travel");
    CHECK(events[0].at("revision") == 2);

    CHECK(events[1].at("event") == "stage");
    CHECK(events[1].at("index") == 0);
    CHECK(events[1].at("count") == 2);
    CHECK(events[1].at("instances") == nlohmann::json::array({"maps", "weather"}));

    CHECK(events[4].at("event") == "instance");
    CHECK(events[4].at("instance") == "weather");
    CHECK(events[4].at("step") == "ready");
    CHECK(events[4].at("detail") == "in 120ms");

    CHECK(events[9].at("event") == "note");
    CHECK(events[9].at("text") == "last lines of its log:\n  | boom\n");

    CHECK(events[10].at("action") == "rollback");
    CHECK(events[11].at("step") == "restoring");

    CHECK(events[12].at("event") == "end");
    CHECK(events[12].at("ok") == false);
    CHECK(events[12].at("summary") == "Deploy of travel failed; rolled back");
    CHECK(events[12].at("took_ms") == 2345);
}

TEST_CASE("json progress never colours", "[observer]") {
    CHECK(told_to(ProgressStyle::json, true).find('\033') == std::string::npos);
}

TEST_CASE("quiet progress prints nothing", "[observer]") {
    CHECK(told_to(ProgressStyle::quiet, true).empty());
    CHECK(told_to(ProgressStyle::quiet, false).empty());
}

// The monitor's Prometheus exposition, rendered from known values.

#include "deploy/monitor_metrics.hpp"

#include <catch2/catch.hpp>

#include <sstream>

#include "deploy/observer.hpp"

using agentctl::deploy::MonitorMetrics;

TEST_CASE("metrics render gauges, counters and cumulative histogram buckets", "[metrics]") {
    MonitorMetrics metrics;
    metrics.set_instance({"travel", "maps", "maps"}, true, false, 2);
    metrics.observe_check({"travel", "maps", "maps"}, true, 0.004);
    metrics.observe_check({"travel", "maps", "maps"}, false, 0.3);
    metrics.observe_stage("travel", 1.5);
    const std::string text = metrics.render();
    CHECK(text.find("# TYPE agentctl_agent_up gauge\nagentctl_agent_up{job=\"travel\",agent=\"maps\",instance=\"maps\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("agentctl_agent_healthy{job=\"travel\",agent=\"maps\",instance=\"maps\"} 0\n") != std::string::npos);
    CHECK(text.find("# TYPE agentctl_agent_restarts_total counter\n"
                    "agentctl_agent_restarts_total{job=\"travel\",agent=\"maps\",instance=\"maps\"} 2\n") != std::string::npos);
    CHECK(text.find("agentctl_health_checks_total{job=\"travel\",agent=\"maps\",instance=\"maps\",result=\"ok\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("agentctl_health_checks_total{job=\"travel\",agent=\"maps\",instance=\"maps\",result=\"failed\"} 1\n") !=
          std::string::npos);
    // 0.004 s falls in le=0.005 and above, 0.3 s in le=0.5 and above.
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"0.0025\"} 0\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"0.005\"} 1\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"0.25\"} 1\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"0.5\"} 2\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"+Inf\"} 2\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_count{job=\"travel\"} 2\n") != std::string::npos);
    CHECK(text.find("agentctl_deploy_stage_duration_seconds_bucket{job=\"travel\",le=\"1\"} 0\n") != std::string::npos);
    CHECK(text.find("agentctl_deploy_stage_duration_seconds_bucket{job=\"travel\",le=\"2.5\"} 1\n") != std::string::npos);
    CHECK(text.find("agentctl_deploy_stage_duration_seconds_sum{job=\"travel\"} 1.5\n") != std::string::npos);
    CHECK(metrics.checks_total() == 2);
}

TEST_CASE("metrics escape label values and forget removed instances", "[metrics]") {
    MonitorMetrics metrics;
    metrics.set_instance({"j", "a", "a@h\"x\\"}, true, true, 0);
    CHECK(metrics.render().find("instance=\"a@h\\\"x\\\\\"} 1\n") != std::string::npos);
    metrics.forget_instance({"j", "a", "a@h\"x\\"});
    CHECK(metrics.render().find("a@h") == std::string::npos);
}

TEST_CASE("a slot updates its instance without a lookup, and nothing renders before a check", "[metrics]") {
    MonitorMetrics metrics;
    MonitorMetrics::Slot slot = metrics.slot({"travel", "maps", "maps"});
    CHECK(metrics.slot({"travel", "maps", "maps"}) == slot);
    // A slot alone makes no histogram lines (its job has no check yet) and zero counters.
    std::string text = metrics.render();
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket") == std::string::npos);
    CHECK(text.find("agentctl_health_checks_total{job=\"travel\",agent=\"maps\",instance=\"maps\",result=\"ok\"} 0\n") !=
          std::string::npos);
    metrics.set_instance(slot, true, true, 3);
    metrics.observe_check(slot, true, 0.02);
    metrics.observe_check(metrics.slot({"travel", "hotels", "hotels"}), false, 0.2);
    text = metrics.render();
    CHECK(text.find("agentctl_agent_restarts_total{job=\"travel\",agent=\"maps\",instance=\"maps\"} 3\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_count{job=\"travel\"} 2\n") != std::string::npos);
    CHECK(text.find("agentctl_health_check_duration_seconds_bucket{job=\"travel\",le=\"0.025\"} 1\n") != std::string::npos);
    CHECK(metrics.checks_total() == 2);
}

TEST_CASE("the stage timing observer records one duration per wave", "[metrics]") {
    MonitorMetrics metrics;
    std::ostringstream out;
    auto inner = agentctl::deploy::make_observer(agentctl::deploy::ProgressStyle::plain, out, false);
    auto timed = agentctl::deploy::make_stage_timing_observer(*inner, metrics, "travel");
    timed->begin("deploy", "travel", 1);
    timed->wave(0, 2, {"a"});
    timed->wave(1, 2, {"b"});
    timed->end(true, "done", agentctl::util::Millis(5));
    CHECK(metrics.render().find("agentctl_deploy_stage_duration_seconds_count{job=\"travel\"} 2\n") != std::string::npos);
    CHECK(out.str().find("done") != std::string::npos);
}

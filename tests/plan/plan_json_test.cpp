// plan -o json (DESIGN.md §6) and plan -o dot.

#include <cstdlib>
#include <string>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "plan/plan_json.hpp"
#include "plan/topology_resolver.hpp"
#include "plan_fixtures.hpp"

using namespace agentctl;
using namespace agentctl::plan;
using namespace agentctl::plan::testing;

namespace {

Plan travel_plan() {
    spec::AgentSpec maps = local_agent("maps");
    spec::JobSpec job = make_job("travel", {local_agent("weather", 9001), maps, local_agent("controller", 9000)});
    job.topology.type = spec::TopologyType::hub_spoke;
    job.topology.hub = ref("controller");
    job.topology.spokes = refs({"weather", "maps"});
    job.deployment.strategy = spec::Strategy::sequential;
    job.deployment.strategy_text = "sequential";
    spec::EnvVar secret;
    secret.name = "API_KEY";
    secret.value = "hunter2";
    secret.secret = true;
    job.agents[0].deployment.environment = {secret};
    return must_plan(job);
}

// The JSON with each agent's spec hash replaced by "<hash>".
std::string without_hashes(const Plan& plan) {
    std::string text = plan_to_json(plan);
    for (const auto& agent : plan.agents) {
        REQUIRE(agent.spec_hash.size() == 64);
        auto at = text.find(agent.spec_hash);
        REQUIRE(at != std::string::npos);
        text.replace(at, agent.spec_hash.size(), "<hash>");
    }
    return text;
}

}  // namespace

TEST_CASE("plan_to_json: the documented fields, in order, 2-space indent") {
    const char* expected = R"({
  "job": "travel",
  "strategy": "sequential",
  "stages": [
    [
      "maps",
      "weather"
    ],
    [
      "controller"
    ]
  ],
  "start_order": [
    "weather",
    "maps",
    "controller"
  ],
  "waves": [
    [
      "weather"
    ],
    [
      "maps"
    ],
    [
      "controller"
    ]
  ],
  "entry_point": "controller",
  "agents": {
    "controller": {
      "target": "localhost",
      "host": "127.0.0.1",
      "port": 9000,
      "instances": [
        "controller"
      ],
      "url": "http://127.0.0.1:9000",
      "urls": [
        "http://127.0.0.1:9000"
      ],
      "connections": [
        "maps",
        "weather"
      ],
      "spec_hash": "<hash>",
      "stage": 1,
      "after": [
        "maps",
        "weather"
      ]
    },
    "maps": {
      "target": "localhost",
      "host": "127.0.0.1",
      "port": null,
      "instances": [
        "maps"
      ],
      "url": null,
      "urls": [],
      "connections": [],
      "spec_hash": "<hash>",
      "stage": 0,
      "after": []
    },
    "weather": {
      "target": "localhost",
      "host": "127.0.0.1",
      "port": 9001,
      "instances": [
        "weather"
      ],
      "url": "http://127.0.0.1:9001",
      "urls": [
        "http://127.0.0.1:9001"
      ],
      "connections": [],
      "spec_hash": "<hash>",
      "stage": 0,
      "after": []
    }
  },
  "changes": [
    {
      "agent": "weather",
      "action": "create"
    },
    {
      "agent": "maps",
      "action": "create"
    },
    {
      "agent": "controller",
      "action": "create"
    }
  ]
}
)";
    CHECK(without_hashes(travel_plan()) == expected);
}

TEST_CASE("plan_to_json is byte-identical for the same plan and never shows secrets") {
    std::string first = plan_to_json(travel_plan());
    CHECK(plan_to_json(travel_plan()) == first);
    CHECK(first.find("hunter2") == std::string::npos);
    CHECK(first.find("API_KEY") == std::string::npos);
}

TEST_CASE("plan_to_json shows a change's reason when it has one") {
    Plan plan = travel_plan();
    plan.changes = {{"maps", ChangeAction::replace, "spec changed"}};
    std::string text = plan_to_json(plan);
    CHECK(text.find(R"("changes": [
    {
      "agent": "maps",
      "action": "replace",
      "reason": "spec changed"
    }
  ])") != std::string::npos);
}

TEST_CASE("plan_to_dot: one rank per stage, labelled nodes, one edge per connection") {
    std::string dot = plan_to_dot(travel_plan());
    CHECK(dot.rfind("digraph \"travel\" {\n", 0) == 0);
    CHECK(dot.find("  { rank=same; \"maps\"; \"weather\"; }\n") != std::string::npos);
    CHECK(dot.find("  { rank=same; \"controller\"; }\n") != std::string::npos);
    CHECK(dot.find("  \"weather\" [label=\"weather\\nlocalhost\"];\n") != std::string::npos);
    CHECK(dot.find("  \"controller\" -> \"maps\";\n") != std::string::npos);
    CHECK(dot.find("  \"controller\" -> \"weather\";\n") != std::string::npos);
    CHECK(dot.find("\"weather\" -> ") == std::string::npos);
    CHECK(dot.substr(dot.size() - 2) == "}\n");
}

TEST_CASE("plan_to_dot output renders with graphviz") {
    const bool ci = std::getenv("CI") && std::string(std::getenv("CI")) == "true";
    if (std::system("command -v dot >/dev/null 2>&1") != 0) {
        if (ci) FAIL("graphviz `dot` is not installed");
        WARN("skipped: graphviz `dot` is not installed");
        return;
    }
    char path[] = "/tmp/agentctl-plan-dot-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::string dot = plan_to_dot(travel_plan());
    REQUIRE(write(fd, dot.data(), dot.size()) == static_cast<ssize_t>(dot.size()));
    close(fd);
    int status = std::system(("dot -Tsvg " + std::string(path) + " -o /dev/null 2>/dev/null").c_str());
    unlink(path);
    CHECK(status == 0);
}

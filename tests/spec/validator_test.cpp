// validate_job: each cross-reference rule on its own, on small job snippets (and once on a
// hand-built JobSpec, without the loader).

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "spec/job_loader.hpp"
#include "spec/validator.hpp"

namespace {

using namespace agentctl::spec;

LoadResult load(const std::string& text) {
    LoadOptions options;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    return load_job_text(text, "job.yaml", options);
}

std::vector<Diagnostic> of_severity(const LoadResult& result, Severity severity) {
    std::vector<Diagnostic> out;
    for (const Diagnostic& d : result.diagnostics) {
        if (d.severity == severity) {
            out.push_back(d);
        }
    }
    return out;
}

std::vector<Diagnostic> errors_of(const std::string& text) {
    return of_severity(load(text), Severity::error);
}

std::string listing(const std::vector<Diagnostic>& diagnostics) {
    std::string out;
    for (const Diagnostic& d : diagnostics) {
        out += format_diagnostic(d) + "\n";
    }
    return out;
}

// Three local agents a, b, c on ports 9001-9003, then `rest`.
std::string three_agents(const std::string& rest) {
    return "job: {name: rules}\n"
           "agents:\n"
           "  - {id: a, module: m.a, config: {port: 9001}}\n"
           "  - {id: b, module: m.b, config: {port: 9002}}\n"
           "  - {id: c, module: m.c, config: {port: 9003}}\n" +
           rest;
}

}  // namespace

TEST_CASE("validate_job works on a hand-built JobSpec") {
    JobSpec job;
    AgentSpec first;
    first.id = "api";
    first.module = "app.api";
    first.pos = {3, 9};
    AgentSpec second = first;
    second.pos = {7, 9};
    job.agents = {first, second};
    Diagnostics out("job.yaml");
    validate_job(job, out);
    REQUIRE(out.all().size() == 1);
    CHECK(out.all()[0].message == "duplicate agent id 'api' (first at line 3)");
    CHECK(out.all()[0].pos.line == 7);
    CHECK(out.all()[0].severity == Severity::error);
}

TEST_CASE("duplicate ids, and ids equal once '-' becomes '_'") {
    auto errors = errors_of(R"(job: {name: ids}
agents:
  - {id: geo-coder, module: m.a, config: {port: 9001}}
  - {id: geo_coder, module: m.b, config: {port: 9002}}
  - {id: geo-coder, module: m.c, config: {port: 9003}}
)");
    INFO(listing(errors));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].message == "agent id 'geo_coder' is the same as 'geo-coder' (line 3) once '-' becomes '_'");
    CHECK(errors[0].pos.line == 4);
    CHECK(errors[1].message == "duplicate agent id 'geo-coder' (first at line 3)");
    CHECK(errors[1].pos.line == 5);
}

TEST_CASE("every id named in the topology, depends_on or entry_point must exist") {
    SECTION("hub and spokes, with did-you-mean") {
        auto errors = errors_of(three_agents("topology: {type: hub-spoke, hub: aa, spokes: [b, cc]}\n"));
        INFO(listing(errors));
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message == "unknown agent 'aa' in topology.hub");
        CHECK(errors[0].hint == "did you mean 'a'?");
        CHECK(errors[1].message == "unknown agent 'cc' in topology.spokes");
    }
    SECTION("pipeline stages and mesh agents") {
        auto pipeline = errors_of(three_agents("topology: {type: pipeline, stages: [a, [b, x], c]}\n"));
        REQUIRE(pipeline.size() == 1);
        CHECK(pipeline[0].message == "unknown agent 'x' in topology.stages");
        CHECK(pipeline[0].hint == "did you mean 'a'?");
        auto mesh = errors_of(three_agents("topology: {type: mesh, agents: [a, b, zzz]}\n"));
        REQUIRE(mesh.size() == 1);
        CHECK(mesh[0].message == "unknown agent 'zzz' in topology.agents");
        CHECK(mesh[0].hint == "the agents are: a, b, c");
    }
    SECTION("hierarchical root and levels, both forms") {
        auto list = errors_of(three_agents("topology: {type: hierarchical, root: r, levels: [[b], [c, q]]}\n"));
        REQUIRE(list.size() == 2);
        CHECK(list[0].message == "unknown agent 'r' in topology.root");
        CHECK(list[1].message == "unknown agent 'q' in topology.levels");
        auto tree = errors_of(three_agents(
            "topology:\n  type: hierarchical\n  root: a\n  levels:\n    - {parent: a, children: [b, d]}\n"));
        REQUIRE(tree.size() == 1);
        CHECK(tree[0].message == "unknown agent 'd' in topology.levels");
    }
    SECTION("dag connections from and to") {
        auto errors = errors_of(three_agents(
            "topology:\n  type: dag\n  connections:\n    - {from: x, to: b}\n    - {from: b, to: [c, y]}\n"));
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message == "unknown agent 'x' in topology.connections");
        CHECK(errors[0].pos.line == 9);
        CHECK(errors[1].message == "unknown agent 'y' in topology.connections");
    }
    SECTION("depends_on and execution.entry_point; a null entry point is fine") {
        auto errors = errors_of(R"(job: {name: refs}
agents:
  - {id: database, module: m.db, config: {port: 5433}}
  - {id: api, module: m.api, config: {port: 8080}, depends_on: [databse]}
execution: {entry_point: ap}
)");
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message == "unknown agent 'databse' in depends_on of agent 'api'");
        CHECK(errors[0].hint == "did you mean 'database'?");
        CHECK(errors[1].message == "unknown agent 'ap' in execution.entry_point");
        CHECK(errors[1].hint == "did you mean 'api'?");
        CHECK(errors_of(three_agents("execution: {entry_point: null}\n")).empty());
    }
}

TEST_CASE("an agent named twice where the topology allows it once") {
    SECTION("the hub among the spokes, and a spoke twice") {
        auto errors = errors_of(three_agents("topology: {type: hub-spoke, hub: a, spokes: [b, a, b]}\n"));
        INFO(listing(errors));
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message ==
              "agent 'a' is named twice in the topology, as topology.hub and in topology.spokes (first at line 6)");
        CHECK(errors[1].message == "agent 'b' is named twice in the topology, in topology.spokes (first at line 6)");
    }
    SECTION("across pipeline stages") {
        auto errors = errors_of(three_agents("topology: {type: pipeline, stages: [a, [b, c], a]}\n"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message == "agent 'a' is named twice in the topology, in topology.stages (first at line 6)");
    }
    SECTION("mesh agents") {
        auto errors = errors_of(three_agents("topology: {type: mesh, agents: [a, b, c, c]}\n"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message.find("agent 'c' is named twice") == 0);
    }
    SECTION("hierarchical levels, and the root inside them") {
        auto twice = errors_of(three_agents("topology: {type: hierarchical, root: a, levels: [[b], [c, b]]}\n"));
        REQUIRE(twice.size() == 1);
        CHECK(twice[0].message.find("agent 'b' is named twice") == 0);
        auto root = errors_of(three_agents("topology: {type: hierarchical, root: a, levels: [[b, a], [c]]}\n"));
        REQUIRE(root.size() == 1);
        CHECK(root[0].message.find("agent 'a' is named twice in the topology, as topology.root") == 0);
    }
    SECTION("a child of two parents in the tree form; the root may be a parent") {
        auto errors = errors_of(three_agents(R"(topology:
  type: hierarchical
  root: a
  levels:
    - {parent: a, children: [b, c]}
    - {parent: b, children: [c]}
)"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message.find("agent 'c' is named twice") == 0);
        CHECK(errors[0].pos.line == 11);
    }
    SECTION("a tree parent that hangs below nothing") {
        auto errors = errors_of(three_agents(R"(topology:
  type: hierarchical
  root: a
  levels:
    - {parent: b, children: [c]}
)"));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message == "parent 'b' in topology.levels is neither the root nor a child of another level");
    }
}

TEST_CASE("module, command, image and host rules per target") {
    auto errors = errors_of(R"(job: {name: targets}
agents:
  - {id: both, module: m, command: [./x], config: {port: 9001}}
  - {id: neither, config: {port: 9002}}
  - {id: remote-none, module: m, config: {port: 9003}, deployment: {target: remote, hosts: [h1, h1]}}
  - {id: no-image, command: [./x], config: {port: 9004}, deployment: {target: container}}
  - {id: no-host, module: m, config: {port: 9005}, deployment: {target: remote}}
  - {id: two-hosts, module: m, config: {port: 9006}, deployment: {target: remote, host: h2, hosts: [h3]}}
  - {id: cluster, config: {port: 9007}, deployment: {target: kubernetes}}
  - {id: boxed, module: m, config: {port: 9008}, deployment: {target: container, image: img:1}}
)");
    INFO(listing(errors));
    REQUIRE(errors.size() == 6);
    CHECK(errors[0].message == "agent 'both' needs exactly one of module or command");
    CHECK(errors[0].hint == "remove module or command");
    CHECK(errors[1].message == "agent 'neither' needs exactly one of module or command");
    CHECK(errors[2].message == "host 'h1' is listed twice in the hosts of agent 'remote-none'");
    CHECK(errors[3].message == "container agent 'no-image' needs an image");
    CHECK(errors[4].message == "remote agent 'no-host' needs deployment.host or deployment.hosts");
    CHECK(errors[5].message == "remote agent 'two-hosts' sets both host and hosts");
}

TEST_CASE("two agents that would listen on the same host address and port") {
    SECTION("two local agents") {
        auto errors = errors_of(R"(job: {name: ports}
agents:
  - {id: a, module: m, config: {port: 9001}}
  - {id: b, module: m, config: {port: 9001}}
)");
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message == "agent 'b' would listen on 127.0.0.1:9001, as agent 'a' does (line 3)");
        CHECK(errors[0].pos.line == 4);
        CHECK(errors[0].pos.column == 39);
    }
    SECTION("a remote agent on localhost clashes with a local one; other hosts do not") {
        auto errors = errors_of(R"(job: {name: ports}
agents:
  - {id: a, module: m, config: {port: 9001}}
  - {id: b, module: m, config: {port: 9001}, deployment: {target: remote, host: 127.0.0.1}}
  - {id: c, module: m, config: {port: 9001}, deployment: {target: remote, hosts: [h1, h2]}}
  - {id: d, module: m, config: {port: 9001}, deployment: {target: remote, host: h2}}
)");
        INFO(listing(errors));
        REQUIRE(errors.size() == 2);
        CHECK(errors[0].message == "agent 'b' would listen on 127.0.0.1:9001, as agent 'a' does (line 3)");
        CHECK(errors[1].message == "agent 'd' would listen on h2:9001, as agent 'c' does (line 5)");
    }
    SECTION("a container's publish address against local agents") {
        auto errors = errors_of(R"(job: {name: ports}
agents:
  - {id: a, module: m, config: {port: 9001}}
  - {id: b, config: {port: 80}, deployment: {target: container, image: i, publish: "0.0.0.0:9001"}}
  - {id: c, config: {port: 80}, deployment: {target: container, image: i, publish: "10.0.0.1:9002"}}
  - {id: d, config: {port: 80}, deployment: {target: container, image: i, publish: "10.0.0.2:9002"}}
  - {id: e, config: {port: 80}, deployment: {target: container, image: i, publish: "9001", host: far}}
)");
        INFO(listing(errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message == "agent 'b' would listen on 0.0.0.0:9001, as agent 'a' does (line 3)");
    }
    SECTION("different ports never clash") {
        CHECK(errors_of(three_agents("")).empty());
    }
}

TEST_CASE("agents the topology does not mention get a note") {
    const LoadResult result = load(three_agents("topology: {type: hub-spoke, hub: a, spokes: [b]}\n"
                                                "agents_extra: ignored\n"));
    const auto notes = of_severity(result, Severity::note);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].message == "agent 'c' is not in the topology; it starts in the first stage");
    CHECK(notes[0].pos.line == 5);

    const LoadResult with_dependency = load(R"(job: {name: notes}
agents:
  - {id: a, module: m, config: {port: 9001}}
  - {id: b, module: m, config: {port: 9002}, depends_on: [a]}
topology: {type: mesh, agents: [a]}
)");
    const auto dependency_notes = of_severity(with_dependency, Severity::note);
    REQUIRE(dependency_notes.size() == 1);
    CHECK(dependency_notes[0].message == "agent 'b' is not in the topology; it starts after its depends_on");

    CHECK(of_severity(load(three_agents("topology: {type: dynamic}\n")), Severity::note).empty());
    CHECK(of_severity(load(three_agents("")), Severity::note).empty());
}

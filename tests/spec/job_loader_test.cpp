// JobLoader: a full job in the original format, defaults merging, the readiness chain, aliases,
// env files and secrets, YAML 1.2 typing, nulls, --name, --strict, collecting every problem,
// and the original system's own example jobs.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "spec/job_loader.hpp"

namespace {

namespace fs = std::filesystem;
using namespace agentctl::spec;
using namespace std::chrono_literals;

LoadOptions options_with(std::map<std::string, std::string> env = {}) {
    LoadOptions options;
    options.env = [env](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) {
            return std::nullopt;
        }
        return it->second;
    };
    return options;
}

LoadResult load(const std::string& text, const LoadOptions& options = options_with()) {
    return load_job_text(text, "/jobs/test.yaml", options);
}

std::string listing(const LoadResult& result) {
    std::string out;
    for (const Diagnostic& d : result.diagnostics) {
        out += format_diagnostic(d) + "\n";
    }
    return out;
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

const AgentSpec& agent(const JobSpec& job, const std::string& id) {
    const AgentSpec* found = job.find_agent(id);
    REQUIRE(found != nullptr);
    return *found;
}

/// A temporary directory removed when the test ends, also on failure.
class TempDir {
public:
    TempDir() {
        const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
        m_path = fs::temp_directory_path() / ("agentctl-loader-" + std::to_string(stamp));
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(m_path / name, std::ios::binary) << text;
        return m_path / name;
    }

private:
    fs::path m_path;
};

const char* const k_full_job = R"yaml(job:
  name: travel-desk
  version: 1.0
  description: Hub with remote, container and cluster spokes
  tags: [demo, travel]
agents:
  - id: controller
    type: ControllerAgent
    module: agents.controller
    config:
      port: 9000
      name: Controller
      regions: [eu, us]
    resources: {cpu: 1.5, memory: 512M, gpu: 0}
    deployment:
      target: localhost
      workdir: ./agents
      python: /usr/bin/python3
      environment:
        API_KEY: "${TRAVEL_API_KEY}"
        MODE: fast
  - id: weather
    module: agents.weather
    config: {port: 9001}
    deployment:
      target: remote
      host: lab1
      user: deploy
      port: 2222
      password: "${SSH_PASSWORD}"
      files:
        - {src: ./model.bin, dest: /opt/model.bin, mode: "0640"}
  - id: maps
    command: ["/bin/maps", "--port", "$(AGENT_PORT)", "$$(literal)", "cost: $$5"]
    config: {port: 80}
    resources: {memory: 1.5Gi}
    deployment:
      target: container
      image: maps:2
      network: travel-net
      container_name: travel-maps
      volumes: ["./data:/data"]
      publish: 19000
  - id: search
    command: ["/bin/search"]
    config: {port: 8080}
    deployment:
      target: kubernetes
      namespace: travel
      service_type: ClusterIP
topology:
  type: hub-spoke
  hub: controller
  spokes: [weather, maps, search]
deployment:
  strategy: parallel
  timeout: 45
  health_check: {enabled: true, interval: 2, retries: 4, timeout: 1}
  ssh: {key_file: ~/.ssh/travel, timeout: 20}
  network: {allow_cross_host: false}
execution:
  entry_point: controller
  auto_start: true
environment:
  LOG_LEVEL: INFO
  WORKERS: 4
  RATIO: 0.5
  ENABLED: yes
)yaml";

}  // namespace

TEST_CASE("a full job in the original format loads into the expected JobSpec") {
    const LoadResult result = load(k_full_job, options_with({{"TRAVEL_API_KEY", "k-123"}, {"SSH_PASSWORD", "pw"}}));
    INFO(listing(result));
    REQUIRE(result.ok());
    CHECK(result.diagnostics.empty());
    const JobSpec& job = *result.spec;

    CHECK(job.file == "/jobs/test.yaml");
    CHECK(job.dir == "/jobs");
    CHECK(job.job.name == "travel-desk");
    CHECK(job.job.name_pos.line == 2);
    CHECK(job.job.name_pos.column == 9);
    CHECK(job.job.version == "1.0");
    CHECK(job.job.description == "Hub with remote, container and cluster spokes");
    CHECK(job.job.tags == std::vector<std::string>{"demo", "travel"});
    REQUIRE(job.agents.size() == 4);
    CHECK(job.agents[0].id == "controller");
    CHECK(job.agents[3].id == "search");

    const AgentSpec& controller = agent(job, "controller");
    CHECK(controller.pos.line == 7);
    CHECK(controller.pos.column == 9);
    CHECK(controller.type == "ControllerAgent");
    CHECK(controller.module == "agents.controller");
    CHECK(controller.command.empty());
    CHECK(controller.port == 9000);
    CHECK(controller.port_pos.line == 11);
    CHECK(controller.config_json == R"({"port":9000,"name":"Controller","regions":["eu","us"]})");
    REQUIRE(controller.config.size() == 3);
    CHECK(controller.config[0].key == "port");
    CHECK(controller.config[0].text == "9000");
    CHECK(controller.config[1].text == "Controller");
    CHECK(controller.config[1].json == "\"Controller\"");
    CHECK(controller.config[2].text == R"(["eu","us"])");
    CHECK(controller.resources.cpu == Approx(1.5));
    CHECK(controller.resources.memory_bytes == 536870912LL);
    CHECK(controller.resources.memory_text == "512M");
    CHECK(controller.resources.gpu == 0);
    CHECK(controller.deployment.target == Target::localhost);
    CHECK(controller.deployment.target_text == "localhost");
    CHECK(controller.deployment.workdir == "./agents");
    CHECK(controller.deployment.python == "/usr/bin/python3");
    REQUIRE(controller.deployment.environment.size() == 2);
    CHECK(controller.deployment.environment[0].name == "API_KEY");
    CHECK(controller.deployment.environment[0].value == "k-123");
    CHECK(controller.deployment.environment[0].secret);
    CHECK(controller.deployment.environment[1].name == "MODE");
    CHECK(controller.deployment.environment[1].value == "fast");
    CHECK_FALSE(controller.deployment.environment[1].secret);
    CHECK(controller.health.kind == HealthKind::http);
    CHECK(controller.health.http_path == "/health");
    CHECK(controller.health.interval == 2s);
    CHECK(controller.health.timeout == 1s);
    CHECK(controller.health.retries == 4);
    CHECK(controller.ready_timeout == 45s);
    CHECK(controller.restart.policy == RestartPolicy::no);
    CHECK(controller.stop.signal == "SIGTERM");
    CHECK(controller.stop.timeout == 10s);
    CHECK(controller.deployment.ssh_key.empty());

    const AgentSpec& weather = agent(job, "weather");
    CHECK(weather.deployment.target == Target::remote);
    CHECK(weather.deployment.host == "lab1");
    CHECK(weather.deployment.host_pos.line == 27);
    CHECK(weather.deployment.user == "deploy");
    CHECK(weather.deployment.port == 2222);
    CHECK(weather.deployment.ssh_key == "~/.ssh/travel");
    CHECK(weather.deployment.ssh_timeout == Millis(20000));
    REQUIRE(weather.deployment.password.has_value());
    CHECK(weather.deployment.password->name == "SSH_PASSWORD");
    CHECK(weather.deployment.password->value == "pw");
    CHECK(weather.deployment.password->secret);
    REQUIRE(weather.deployment.files.size() == 1);
    CHECK(weather.deployment.files[0].src == "./model.bin");
    CHECK(weather.deployment.files[0].dest == "/opt/model.bin");
    CHECK(weather.deployment.files[0].mode == 0640);

    const AgentSpec& maps = agent(job, "maps");
    CHECK(maps.command == std::vector<std::string>{"/bin/maps", "--port", "$(AGENT_PORT)", "$$(literal)", "cost: $5"});
    CHECK(maps.resources.memory_bytes == 1610612736LL);
    CHECK(maps.deployment.target == Target::container);
    CHECK(maps.deployment.image == "maps:2");
    CHECK(maps.deployment.network == "travel-net");
    CHECK(maps.deployment.container_name == "travel-maps");
    CHECK(maps.deployment.volumes == std::vector<std::string>{"./data:/data"});
    CHECK(maps.deployment.publish == "127.0.0.1:19000");
    CHECK(maps.deployment.publish_pos.line == 43);

    const AgentSpec& search = agent(job, "search");
    CHECK(search.deployment.target == Target::kubernetes);
    CHECK(search.deployment.k8s_namespace == "travel");
    CHECK(search.deployment.service_type == "ClusterIP");

    CHECK(job.topology.type == TopologyType::hub_spoke);
    CHECK(job.topology.hub.id == "controller");
    CHECK(job.topology.hub.pos.line == 53);
    REQUIRE(job.topology.spokes.size() == 3);
    CHECK(job.topology.spokes[1].id == "maps");
    CHECK(job.topology.spokes[1].pos.line == 54);
    CHECK(job.topology.spokes[1].pos.column == 21);

    CHECK(job.deployment.strategy == Strategy::parallel);
    CHECK(job.deployment.strategy_text == "parallel");
    CHECK(job.deployment.timeout == Millis(45000));
    CHECK(job.deployment.health_enabled);
    CHECK(job.deployment.ssh_key_file == std::string("~/.ssh/travel"));
    CHECK(job.deployment.ssh_timeout == 20s);
    CHECK_FALSE(job.deployment.allow_cross_host);

    REQUIRE(job.execution.entry_point.has_value());
    CHECK(job.execution.entry_point->id == "controller");
    CHECK(job.execution.auto_start);

    REQUIRE(job.environment.size() == 4);
    CHECK(job.environment[0].name == "LOG_LEVEL");
    CHECK(job.environment[0].value == "INFO");
    CHECK(job.environment[1].value == "4");
    CHECK(job.environment[2].value == "0.5");
    CHECK(job.environment[3].value == "yes");
    CHECK_FALSE(job.environment[3].secret);
}

TEST_CASE("defaults merge under every agent: maps deeply, lists replaced, health kind replaced") {
    const LoadResult result = load(R"(job: {name: merged}
defaults:
  config: {timeout: 30, nested: {a: 1, b: 2}}
  command: ["./default-agent"]
  depends_on: [base]
  health: {http: /ready, interval: 3s}
  restart: {policy: on-failure, max_restarts: 2}
  deployment: {environment: {SHARED: from-defaults, OVERRIDE: defaults}}
agents:
  - id: base
    config: {port: 9100}
    depends_on: []
    health: {tcp: true}
  - id: api
    command: ["./api"]
    config: {port: 9101, nested: {b: 20, c: 30}}
    health: {retries: 7}
    restart: {max_restarts: 9}
    deployment: {environment: {OVERRIDE: agent}}
  - id: plain
    config: {port: 9102}
    restart: null
)");
    INFO(listing(result));
    REQUIRE(result.ok());
    const JobSpec& job = *result.spec;

    const AgentSpec& base = agent(job, "base");
    CHECK(base.command == std::vector<std::string>{"./default-agent"});
    CHECK(base.depends_on.empty());
    CHECK(base.health.kind == HealthKind::tcp);
    CHECK(base.health.interval == 3s);
    CHECK(base.config_json == R"({"timeout":30,"nested":{"a":1,"b":2},"port":9100})");
    CHECK(base.restart.policy == RestartPolicy::on_failure);
    CHECK(base.restart.max_restarts == 2);

    const AgentSpec& api = agent(job, "api");
    CHECK(api.command == std::vector<std::string>{"./api"});
    REQUIRE(api.depends_on.size() == 1);
    CHECK(api.depends_on[0].id == "base");
    CHECK(api.health.kind == HealthKind::http);
    CHECK(api.health.http_path == "/ready");
    CHECK(api.health.interval == 3s);
    CHECK(api.health.retries == 7);
    CHECK(api.config_json == R"({"timeout":30,"port":9101,"nested":{"a":1,"b":20,"c":30}})");
    CHECK(api.port == 9101);
    CHECK(api.restart.policy == RestartPolicy::on_failure);
    CHECK(api.restart.max_restarts == 9);
    REQUIRE(api.deployment.environment.size() == 2);
    CHECK(api.deployment.environment[0].name == "SHARED");
    CHECK(api.deployment.environment[0].value == "from-defaults");
    CHECK(api.deployment.environment[1].name == "OVERRIDE");
    CHECK(api.deployment.environment[1].value == "agent");

    // A null agent value removes the default.
    const AgentSpec& plain = agent(job, "plain");
    CHECK(plain.restart.policy == RestartPolicy::no);
    CHECK(plain.restart.max_restarts == 5);
}

TEST_CASE("a mistake in defaults is reported once, at the defaults") {
    const LoadResult result = load(R"(job: {name: once}
defaults:
  restart: {policy: sometimes}
agents:
  - {id: a, module: m.a, config: {port: 9001}}
  - {id: b, module: m.b, config: {port: 9002}}
)");
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].pos.line == 3);
    CHECK(errors[0].message == "unknown restart policy 'sometimes'");
}

TEST_CASE("defaults cannot set an agent id") {
    const LoadResult result = load(R"(job: {name: no-default-id}
defaults: {id: shared}
agents:
  - {id: a, module: m.a, config: {port: 9001}}
)");
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "defaults cannot set id");
    CHECK(result.spec == std::nullopt);
}

TEST_CASE("health resolves built-in < health_check < defaults.health < agent health") {
    SECTION("the chain and ready_timeout from start_period + interval x retries") {
        const LoadResult result = load(R"(job: {name: chain}
deployment:
  health_check: {interval: 4, retries: 2, start_period: 1s}
defaults:
  health: {timeout: 3s}
agents:
  - {id: a, module: m.a, config: {port: 9001}}
  - {id: b, module: m.b, config: {port: 9002}, health: {retries: 5, start_period: 0}}
  - {id: c, module: m.c, health: {exec: [./probe, --quick]}}
)");
        INFO(listing(result));
        REQUIRE(result.ok());
        const AgentSpec& a = agent(*result.spec, "a");
        CHECK(a.health.kind == HealthKind::http);
        CHECK(a.health.http_path == "/health");
        CHECK(a.health.interval == 4s);
        CHECK(a.health.timeout == 3s);
        CHECK(a.health.retries == 2);
        CHECK(a.health.start_period == 1s);
        CHECK(a.ready_timeout == 9s);
        const AgentSpec& b = agent(*result.spec, "b");
        CHECK(b.health.retries == 5);
        CHECK(b.health.start_period == 0s);
        CHECK(b.ready_timeout == 20s);
        const AgentSpec& c = agent(*result.spec, "c");
        CHECK(c.health.kind == HealthKind::exec);
        CHECK(c.health.exec == std::vector<std::string>{"./probe", "--quick"});
    }
    SECTION("built-in values when nothing is written") {
        const LoadResult result = load("job: {name: builtin}\nagents: [{id: a, module: m.a, config: {port: 9001}}]\n");
        REQUIRE(result.ok());
        const AgentSpec& a = agent(*result.spec, "a");
        CHECK(a.health.kind == HealthKind::http);
        CHECK(a.health.interval == 5s);
        CHECK(a.health.timeout == 5s);
        CHECK(a.health.retries == 3);
        CHECK(a.health.start_period == 0s);
        CHECK(a.ready_timeout == 15s);
    }
    SECTION("kind none starts after 1s unless start_period is given") {
        const LoadResult result = load(R"(job: {name: none-kind}
agents:
  - {id: a, module: m.a, health: {none: true, interval: 2s}}
  - {id: b, module: m.b, health: {none: true, start_period: 250ms}}
)");
        INFO(listing(result));
        REQUIRE(result.ok());
        CHECK(agent(*result.spec, "a").health.kind == HealthKind::none);
        CHECK(agent(*result.spec, "a").health.start_period == 1s);
        CHECK(agent(*result.spec, "a").ready_timeout == 7s);
        CHECK(agent(*result.spec, "b").health.start_period == 250ms);
    }
    SECTION("health_check.enabled: false means kind none, an agent's own kind still wins") {
        const LoadResult result = load(R"(job: {name: disabled}
deployment:
  timeout: 90
  health_check: {enabled: false}
agents:
  - {id: a, module: m.a}
  - {id: b, module: m.b, config: {port: 9002}, health: {http: /up}}
)");
        INFO(listing(result));
        REQUIRE(result.ok());
        CHECK_FALSE(result.spec->deployment.health_enabled);
        CHECK(agent(*result.spec, "a").health.kind == HealthKind::none);
        CHECK(agent(*result.spec, "a").health.start_period == 1s);
        CHECK(agent(*result.spec, "a").ready_timeout == 90s);
        CHECK(agent(*result.spec, "b").health.kind == HealthKind::http);
        CHECK(agent(*result.spec, "b").health.http_path == "/up");
    }
    SECTION("no port with an http check is an error; a published container is fine") {
        const LoadResult result = load(R"(job: {name: ports}
agents:
  - {id: a, module: m.a}
  - {id: b, deployment: {target: container, image: b:1, publish: "127.0.0.1:18000"}}
)");
        const auto errors = of_severity(result, Severity::error);
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].message == "agent 'a' has no config.port; its http health check needs one");
        CHECK(errors[0].hint == "add config.port or set health: {exec: [...]} or {none: true}");
    }
}

TEST_CASE("target aliases map to their targets and keep what was written") {
    const LoadResult result = load(R"(job: {name: aliases}
agents:
  - {id: a, module: m.a, config: {port: 9001}, deployment: {target: local}}
  - {id: b, module: m.b, config: {port: 9002}, deployment: {target: ssh, host: lab}}
  - {id: c, config: {port: 80}, deployment: {target: docker, image: c:1, publish: "18003"}}
)");
    INFO(listing(result));
    REQUIRE(result.ok());
    CHECK(agent(*result.spec, "a").deployment.target == Target::localhost);
    CHECK(agent(*result.spec, "a").deployment.target_text == "local");
    CHECK(agent(*result.spec, "b").deployment.target == Target::remote);
    CHECK(agent(*result.spec, "b").deployment.target_text == "ssh");
    CHECK(agent(*result.spec, "c").deployment.target == Target::container);
    CHECK(agent(*result.spec, "c").deployment.target_text == "docker");
    CHECK(agent(*result.spec, "c").deployment.publish == "127.0.0.1:18003");
    CHECK(std::string(target_name(Target::container)) == "container");
}

TEST_CASE("env_file values are secrets, environment wins over them, ${VAR} marks secrets") {
    TempDir dir;
    dir.write("app.env",
              "# database\n"
              "export DB_URL=\"postgres://db/app\"\n"
              "\n"
              "LOG_LEVEL=debug\n"
              "QUOTED='single # kept'\n"
              "PLAIN=value # comment\n");
    const fs::path job = dir.write("job.yaml", R"(job: {name: secrets}
agents:
  - id: api
    module: app.api
    config: {port: 8080}
    deployment:
      env_file: app.env
      environment:
        LOG_LEVEL: info
        TOKEN: "${TOKEN}"
        PLAIN_LIT: literal
environment:
  GLOBAL: "${TOKEN}"
)");
    const LoadResult result = load_job_file(job.string(), options_with({{"TOKEN", "tok"}}));
    INFO(listing(result));
    REQUIRE(result.ok());
    const std::vector<EnvVar>& env = agent(*result.spec, "api").deployment.environment;
    REQUIRE(env.size() == 6);
    CHECK(env[0].name == "LOG_LEVEL");
    CHECK(env[0].value == "info");
    CHECK_FALSE(env[0].secret);
    CHECK(env[1].name == "TOKEN");
    CHECK(env[1].value == "tok");
    CHECK(env[1].secret);
    CHECK(env[2].name == "PLAIN_LIT");
    CHECK_FALSE(env[2].secret);
    CHECK(env[3].name == "DB_URL");
    CHECK(env[3].value == "postgres://db/app");
    CHECK(env[3].secret);
    CHECK(env[4].name == "QUOTED");
    CHECK(env[4].value == "single # kept");
    CHECK(env[5].name == "PLAIN");
    CHECK(env[5].value == "value");
    CHECK(env[5].secret);
    CHECK(agent(*result.spec, "api").deployment.env_file == "app.env");
    REQUIRE(result.spec->environment.size() == 1);
    CHECK(result.spec->environment[0].value == "tok");
    CHECK_FALSE(result.spec->environment[0].secret);
}

TEST_CASE("an env_file in defaults is read for every agent and its problems reported once") {
    TempDir dir;
    dir.write("shared.env", "SHARED=1\nbroken line\n");
    const fs::path job = dir.write("job.yaml", R"(job: {name: shared-env}
defaults:
  deployment: {env_file: shared.env}
agents:
  - {id: a, module: m.a, config: {port: 9001}}
  - {id: b, module: m.b, config: {port: 9002}}
)");
    const LoadResult result = load_job_file(job.string(), options_with());
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].pos.line == 2);
    CHECK(errors[0].message == "expected KEY=VALUE, got 'broken line'");

    dir.write("shared.env", "SHARED=1\n");
    const LoadResult fixed = load_job_file(job.string(), options_with());
    INFO(listing(fixed));
    REQUIRE(fixed.ok());
    for (const char* id : {"a", "b"}) {
        const std::vector<EnvVar>& env = agent(*fixed.spec, id).deployment.environment;
        REQUIRE(env.size() == 1);
        CHECK(env[0].name == "SHARED");
        CHECK(env[0].value == "1");
        CHECK(env[0].secret);
    }
}

TEST_CASE("a bad env file line is reported at the env file's own line") {
    TempDir dir;
    dir.write("bad.env", "GOOD=1\nnot a pair\n");
    const fs::path job = dir.write("job.yaml", "job: {name: bad-env}\nagents:\n  - id: api\n    module: a\n"
                                               "    config: {port: 8080}\n    deployment: {env_file: bad.env}\n");
    const LoadResult result = load_job_file(job.string(), options_with());
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == (job.parent_path() / "bad.env").string());
    CHECK(errors[0].pos.line == 2);
    CHECK(errors[0].pos.column == 1);
    CHECK(errors[0].message == "expected KEY=VALUE, got 'not a pair'");
}

TEST_CASE("YAML 1.2 core typing: yes and no are strings, quoted numbers are strings") {
    const LoadResult result = load(R"(job: {name: typing, version: 2}
agents:
  - id: api
    module: app.api
    config: {port: 0x2329, flag: yes, count: "3"}
    restart: {policy: no}
environment: {DEBUG: no}
)");
    INFO(listing(result));
    REQUIRE(result.ok());
    const AgentSpec& api = agent(*result.spec, "api");
    CHECK(result.spec->job.version == "2");
    CHECK(api.port == 9001);
    CHECK(api.config_json == R"({"port":9001,"flag":"yes","count":"3"})");
    CHECK(api.restart.policy == RestartPolicy::no);
    CHECK(result.spec->environment[0].value == "no");

    const LoadResult refused = load(R"(job: {name: typing}
agents: [{id: api, module: app.api, config: {port: "9001"}}]
execution: {auto_start: yes}
)");
    const auto errors = of_severity(refused, Severity::error);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].message == "agents[0].config.port must be an integer, not the string \"9001\"");
    CHECK(errors[0].hint == "write port: 9001 without quotes");
    CHECK(errors[1].message == "execution.auto_start must be true or false, not the string \"yes\"");
}

TEST_CASE("null is accepted for every optional field") {
    const LoadResult result = load(R"(job:
  name: nulls
  version: ~
  description: null
  tags:
agents:
  - id: api
    type: null
    module: app.api
    config: {port: 8080, extra: null}
    resources: {cpu: null, memory: ~}
    depends_on: null
    health: null
    restart: {policy: null}
    deployment: {target: null, workdir: ~, environment: {EMPTY: null}}
topology: null
deployment: {strategy: null, timeout: null, health_check: null}
execution: {entry_point: null, auto_start: null}
environment: null
)");
    INFO(listing(result));
    REQUIRE(result.ok());
    CHECK(result.diagnostics.empty());
    const JobSpec& job = *result.spec;
    CHECK(job.job.version.empty());
    CHECK(job.job.tags.empty());
    CHECK(job.topology.type == TopologyType::none);
    CHECK_FALSE(job.execution.entry_point.has_value());
    CHECK_FALSE(job.deployment.timeout.has_value());
    CHECK(job.deployment.strategy == Strategy::staged);
    const AgentSpec& api = agent(job, "api");
    CHECK_FALSE(api.resources.cpu.has_value());
    CHECK(api.deployment.target == Target::localhost);
    REQUIRE(api.deployment.environment.size() == 1);
    CHECK(api.deployment.environment[0].value.empty());
}

TEST_CASE("name_override replaces job.name and is validated the same way") {
    const std::string text = "job: {name: original}\nagents: [{id: a, module: m.a, config: {port: 9001}}]\n";
    LoadOptions options = options_with();
    options.name_override = "renamed";
    const LoadResult renamed = load(text, options);
    REQUIRE(renamed.ok());
    CHECK(renamed.spec->job.name == "renamed");

    options.name_override = "Bad_Name";
    const LoadResult bad = load(text, options);
    CHECK_FALSE(bad.ok());
    const auto errors = of_severity(bad, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "invalid job name 'Bad_Name' (from --name)");
    CHECK(errors[0].pos.line == 1);

    options.name_override = "given";
    const LoadResult without_name = load("job: {version: '1'}\nagents: [{id: a, module: m.a, config: {port: 9001}}]\n",
                                         options);
    REQUIRE(without_name.ok());
    CHECK(without_name.spec->job.name == "given");
}

TEST_CASE("unknown keys are warnings with a suggestion, errors under --strict") {
    const std::string text = R"(job: {name: strictness}
agents:
  - id: a
    modul: m.a
    module: m.a
    config: {port: 9001}
execution: {entry_point: a, routing: {strategy: tree}}
)";
    const LoadResult relaxed = load(text);
    REQUIRE(relaxed.ok());
    const auto warnings = of_severity(relaxed, Severity::warning);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].message == "unknown key 'modul' in agents[0]");
    CHECK(warnings[0].hint == "did you mean 'module'?");
    CHECK(warnings[0].pos.line == 4);
    CHECK(warnings[0].pos.column == 5);
    CHECK(warnings[1].message == "unknown key 'routing' in execution");
    CHECK(warnings[1].hint == "allowed keys: entry_point, auto_start");

    LoadOptions strict = options_with();
    strict.strict = true;
    const LoadResult refused = load(text, strict);
    CHECK_FALSE(refused.ok());
    CHECK(of_severity(refused, Severity::error).size() == 2);
}

TEST_CASE("every problem of a file is reported together, sorted by position") {
    const LoadResult result = load(R"(job:
  name: three-problems
agents:
  - id: api
    module: app.api
    config: {port: 8080}
    stop: {signal: SIGNOPE}
  - id: worker
    module: app.worker
    config: {port: 8081}
    resources: {memory: lots}
topology:
  type: hub-spoke
  hub: api
  spokes: [wroker]
)");
    CHECK_FALSE(result.ok());
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].pos.line == 7);
    CHECK(errors[0].message == "unknown stop signal 'SIGNOPE'");
    CHECK(errors[1].pos.line == 11);
    CHECK(errors[1].message == "agents[1].resources.memory must be a memory size, not the string \"lots\"");
    CHECK(errors[2].pos.line == 15);
    CHECK(errors[2].message == "unknown agent 'wroker' in topology.spokes");
    CHECK(errors[2].hint == "did you mean 'worker'?");
}

TEST_CASE("unset variables are errors at the value, and defaults and $$ work as in compose") {
    const LoadResult result = load(R"(job: {name: vars}
agents:
  - id: api
    module: app.api
    config:
      port: ${PORT:-8080}
      price: "$$5"
    deployment:
      environment:
        MISSING: "${NOT_SET}"
)");
    const auto errors = of_severity(result, Severity::error);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "variable NOT_SET is not set");
    CHECK(errors[0].pos.line == 10);
    CHECK(errors[0].pos.column == 18);

    const LoadResult ok = load("job: {name: vars}\nagents:\n  - id: api\n    module: a\n    config:\n"
                               "      port: ${PORT}\n      price: \"$$5\"\n",
                               options_with({{"PORT", "9123"}}));
    INFO(listing(ok));
    REQUIRE(ok.ok());
    CHECK(agent(*ok.spec, "api").port == 9123);
    CHECK(agent(*ok.spec, "api").config_json == R"({"port":9123,"price":"$5"})");
}

TEST_CASE("an unreadable job file is one diagnostic without a position") {
    const LoadResult result = load_job_file("/nonexistent/agentctl/job.yaml", options_with());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].pos.line == 0);
    CHECK(result.diagnostics[0].message == "cannot read job file: No such file or directory");
    CHECK_THROWS_AS(load_job_or_throw("/nonexistent/agentctl/job.yaml"), SpecError);
}

TEST_CASE("the original system's example jobs load without errors") {
    const fs::path dir = fs::path(AGENTCTL_SHARED_DIR) / "compat" / "origin-jobs";
    const char* ci = std::getenv("CI");
    if (!fs::is_directory(dir)) {
        if (ci != nullptr && std::string(ci) == "true") {
            FAIL("the compat corpus is missing: " << dir.string());
        }
        WARN("skipped: the compat corpus is not at " << dir.string());
        return;
    }
    int loaded = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".yaml") {
            continue;
        }
        const LoadResult result = load_job_file(entry.path().string(), options_with());
        INFO(entry.path().filename().string() << "\n" << listing(result));
        CHECK(result.ok());
        CHECK(of_severity(result, Severity::error).empty());
        ++loaded;
    }
    CHECK(loaded == 22);
}

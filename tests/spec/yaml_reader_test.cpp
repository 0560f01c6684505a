#include "spec/yaml_tree.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using agentctl::spec::read_yaml;
using agentctl::spec::yaml_to_json;
using agentctl::spec::YamlDocument;
using agentctl::spec::YamlLimits;
using agentctl::spec::YamlNode;
using Type = agentctl::spec::YamlNode::ScalarType;

namespace {

YamlDocument read(const std::string& text, const YamlLimits& limits = {}) {
    return read_yaml(text, "job.yaml", limits);
}

/// The core-schema type of `value` written as the value of a one-entry map.
Type type_of(const std::string& value) {
    const YamlDocument doc = read("v: " + value + "\n");
    REQUIRE(doc.problems.empty());
    REQUIRE(doc.root);
    const YamlNode* node = doc.root->find("v");
    REQUIRE(node != nullptr);
    return node->scalar_type();
}

/// Seconds taken by `read` of `text`, which must be refused with `message`.
double seconds_to_refuse(const std::string& text, const std::string& message, const YamlLimits& limits = {}) {
    const auto start = std::chrono::steady_clock::now();
    const YamlDocument doc = read(text, limits);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == message);
    return seconds;
}

std::string nested_flow(int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']') + "\n";
}

/// `depth` maps nested by indentation of one space per level, the innermost holding `a: x`.
std::string nested_block_maps(int depth) {
    std::string text;
    for (int i = 0; i < depth; ++i) {
        text += std::string(static_cast<std::size_t>(i), ' ') + (i + 1 == depth ? "a: x\n" : "a:\n");
    }
    return text;
}

}  // namespace

TEST_CASE("positions of scalars, map values and sequence items are 1-based", "[yaml]") {
    const YamlDocument doc = read(
        "job:\n"
        "  name: demo\n"
        "  tags: [a, \"b\"]\n"
        "agents:\n"
        "  - id: weather\n"
        "    config:\n"
        "      port: 9001\n");
    REQUIRE(doc.problems.empty());
    REQUIRE(doc.root);
    CHECK(doc.root->is_map());
    CHECK(doc.root->pos.line == 1);
    CHECK(doc.root->pos.column == 1);
    CHECK(doc.root->entries[0].first->pos.line == 1);
    CHECK(doc.root->entries[0].first->pos.column == 1);

    const YamlNode* job = doc.root->find("job");
    REQUIRE(job != nullptr);
    CHECK(job->pos.line == 2);
    CHECK(job->pos.column == 3);
    const YamlNode* name = job->find("name");
    REQUIRE(name != nullptr);
    CHECK(name->text == "demo");
    CHECK(name->pos.line == 2);
    CHECK(name->pos.column == 9);

    const YamlNode* tags = job->find("tags");
    REQUIRE(tags != nullptr);
    REQUIRE(tags->items.size() == 2);
    CHECK(tags->pos.line == 3);
    CHECK(tags->pos.column == 9);
    CHECK(tags->items[1]->text == "b");
    CHECK_FALSE(tags->items[1]->plain);
    CHECK(tags->items[1]->pos.line == 3);
    CHECK(tags->items[1]->pos.column == 13);

    const YamlNode* agents = doc.root->find("agents");
    REQUIRE(agents != nullptr);
    CHECK(agents->pos.line == 5);
    CHECK(agents->pos.column == 3);
    REQUIRE(agents->items.size() == 1);
    const YamlNode& agent = *agents->items[0];
    CHECK(agent.pos.line == 5);
    CHECK(agent.pos.column == 5);
    const YamlNode* port = agent.find("config")->find("port");
    REQUIRE(port != nullptr);
    CHECK(port->text == "9001");
    CHECK(port->pos.line == 7);
    CHECK(port->pos.column == 13);
}

TEST_CASE("an empty value is a null placed at its key", "[yaml]") {
    const YamlDocument doc = read("first: 1\nempty:\nlast: 2\n");
    REQUIRE(doc.problems.empty());
    const YamlNode* empty = doc.root->find("empty");
    REQUIRE(empty != nullptr);
    CHECK(empty->is_null());
    CHECK(empty->pos.line == 2);
    CHECK(empty->pos.column == 1);
    const YamlNode* tilde = read("a: ~\n").root->find("a");
    CHECK(tilde->is_null());
    CHECK(tilde->pos.column == 4);
}

TEST_CASE("plain scalars are typed by the YAML 1.2 core schema", "[yaml]") {
    CHECK(type_of("9001") == Type::integer);
    CHECK(type_of("\"9001\"") == Type::string);
    CHECK(type_of("'9001'") == Type::string);
    CHECK(type_of("yes") == Type::string);
    CHECK(type_of("on") == Type::string);
    CHECK(type_of("~") == Type::null);
    CHECK(type_of("null") == Type::null);
    CHECK(type_of("NULL") == Type::null);
    CHECK(type_of("") == Type::null);
    CHECK(type_of("1.0.0") == Type::string);
    CHECK(type_of("0x1F") == Type::integer);
    CHECK(type_of("0o17") == Type::integer);
    CHECK(type_of("0o19") == Type::string);
    CHECK(type_of("0644") == Type::integer);
    CHECK(type_of("-12") == Type::integer);
    CHECK(type_of("+12") == Type::integer);
    CHECK(type_of(".5") == Type::floating);
    CHECK(type_of("1.") == Type::floating);
    CHECK(type_of("1.5e3") == Type::floating);
    CHECK(type_of("2E-2") == Type::floating);
    CHECK(type_of("1e") == Type::string);
    CHECK(type_of("-.inf") == Type::floating);
    CHECK(type_of(".NaN") == Type::floating);
    CHECK(type_of("-.nan") == Type::string);
    CHECK(type_of("True") == Type::boolean);
    CHECK(type_of("FALSE") == Type::boolean);
    CHECK(type_of("tRUE") == Type::string);
    CHECK(type_of("512M") == Type::string);
    CHECK(type_of("10s") == Type::string);
    CHECK(type_of(".") == Type::string);
}

TEST_CASE("explicit tags make a scalar a string, not plain", "[yaml]") {
    const YamlDocument doc = read("a: !!str 12\nb: !custom 13\nc: \"x\"\nd: x\n");
    REQUIRE(doc.problems.empty());
    CHECK_FALSE(doc.root->find("a")->plain);
    CHECK(doc.root->find("a")->text == "12");
    CHECK(doc.root->find("a")->scalar_type() == Type::string);
    CHECK_FALSE(doc.root->find("b")->plain);
    CHECK(doc.root->find("b")->scalar_type() == Type::string);
    CHECK_FALSE(doc.root->find("c")->plain);
    CHECK(doc.root->find("d")->plain);
}

TEST_CASE("find returns nullptr for a missing key and on a non-map", "[yaml]") {
    const YamlDocument doc = read("a: [1]\n");
    CHECK(doc.root->find("b") == nullptr);
    CHECK(doc.root->find("a")->find("a") == nullptr);
}

TEST_CASE("a duplicate key is reported at its second occurrence and the first is kept", "[yaml]") {
    const YamlDocument doc = read("name: a\nother: 1\nname: b\n");
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].file == "job.yaml");
    CHECK(doc.problems[0].message == "duplicate key 'name' (first defined at line 1)");
    CHECK(doc.problems[0].hint == "remove one of the two");
    CHECK(doc.problems[0].pos.line == 3);
    CHECK(doc.problems[0].pos.column == 1);
    REQUIRE(doc.root);
    CHECK(doc.root->entries.size() == 2);
    CHECK(doc.root->find("name")->text == "a");
}

TEST_CASE("duplicate keys are found in nested and flow maps too", "[yaml]") {
    const YamlDocument doc = read(
        "agents:\n"
        "  - id: x\n"
        "    config:\n"
        "      port: 1\n"
        "      port: 2\n"
        "    health: {http: /a, http: /b}\n");
    REQUIRE(doc.problems.size() == 2);
    CHECK(doc.problems[0].message == "duplicate key 'port' (first defined at line 4)");
    CHECK(doc.problems[0].pos.line == 5);
    CHECK(doc.problems[0].pos.column == 7);
    CHECK(doc.problems[1].message == "duplicate key 'http' (first defined at line 6)");
    CHECK(doc.problems[1].pos.line == 6);
    CHECK(doc.problems[1].pos.column == 24);
}

TEST_CASE("the same key in two different maps is no duplicate", "[yaml]") {
    const YamlDocument doc = read("a: {id: 1}\nb: {id: 1}\n");
    CHECK(doc.problems.empty());
}

TEST_CASE("map keys must be scalars", "[yaml]") {
    const YamlDocument doc = read("? [a, b]\n: v\nok: 1\n");
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "map keys must be plain strings");
    CHECK(doc.problems[0].pos.line == 1);
    CHECK(doc.problems[0].pos.column == 3);
    REQUIRE(doc.root);
    CHECK(doc.root->entries.size() == 1);
    CHECK(doc.root->find("ok")->text == "1");
}

TEST_CASE("aliases share the anchored node and count toward the expanded size", "[yaml]") {
    const std::string text = "base: &b {x: 1}\none: *b\ntwo: *b\n";
    const YamlDocument doc = read(text);
    REQUIRE(doc.problems.empty());
    REQUIRE(doc.root);
    const YamlNode* base = doc.root->find("base");
    CHECK(doc.root->find("one") == base);
    CHECK(doc.root->find("two") == base);
    CHECK(base->find("x")->text == "1");

    // Expanded: root 1 + three keys 3 + the map {x: 1} 3 + two aliases of it 3 + 3 = 13 nodes.
    YamlLimits limits;
    limits.max_nodes = 13;
    CHECK(read(text, limits).problems.empty());
    limits.max_nodes = 12;
    const YamlDocument refused = read(text, limits);
    CHECK_FALSE(refused.root);
    REQUIRE(refused.problems.size() == 1);
    CHECK(refused.problems[0].message == "YAML aliases expand to more than 12 nodes (an alias bomb?)");
    CHECK(refused.problems[0].pos.line == 3);
    CHECK(refused.problems[0].pos.column == 6);
}

TEST_CASE("an alias to an undefined anchor is an error naming it", "[yaml]") {
    const YamlDocument doc = read("a: 1\nb: *nope\n");
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "alias '*nope' refers to an anchor that is not defined");
    CHECK(doc.problems[0].pos.line == 2);
    CHECK(doc.problems[0].pos.column == 4);
}

TEST_CASE("an alias inside its own anchor is refused", "[yaml]") {
    const YamlDocument doc = read("a: &loop [1, *loop]\n");
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "alias '*loop' refers to the node that contains it");
    CHECK(doc.problems[0].pos.line == 1);
    CHECK(doc.problems[0].pos.column == 14);
}

TEST_CASE("merge keys add entries the map does not set itself", "[yaml]") {
    const YamlDocument doc = read(
        "defaults: &d\n"
        "  restart: on-failure\n"
        "  port: 1\n"
        "extra: &e\n"
        "  port: 2\n"
        "  user: bob\n"
        "agent:\n"
        "  port: 3\n"
        "  <<: [*d, *e]\n"
        "  name: x\n");
    REQUIRE(doc.problems.empty());
    const YamlNode* agent = doc.root->find("agent");
    REQUIRE(agent != nullptr);
    REQUIRE(agent->entries.size() == 4);
    CHECK(agent->entries[0].first->text == "port");
    CHECK(agent->entries[0].second->text == "3");
    CHECK(agent->entries[1].first->text == "restart");
    CHECK(agent->entries[2].first->text == "user");
    CHECK(agent->entries[3].first->text == "name");
    // Merged entries keep the position where they were written.
    CHECK(agent->find("restart")->pos.line == 2);
    CHECK(agent->find("restart")->pos.column == 12);
    CHECK(agent->find("<<") == nullptr);
}

TEST_CASE("of two merged maps the earlier one wins and a single alias merges too", "[yaml]") {
    const YamlDocument doc = read(
        "a: &a {k: 1}\n"
        "b: &b {k: 2, j: 3}\n"
        "c:\n"
        "  <<: [*a, *b]\n"
        "d:\n"
        "  <<: *b\n"
        "  k: 4\n");
    REQUIRE(doc.problems.empty());
    CHECK(yaml_to_json(*doc.root->find("c")) == R"({"k":1,"j":3})");
    CHECK(yaml_to_json(*doc.root->find("d")) == R"({"j":3,"k":4})");
}

TEST_CASE("a merge of something other than maps is an error but a quoted << is a plain key", "[yaml]") {
    const YamlDocument bad = read("a:\n  <<: 5\n  b: 1\n");
    REQUIRE(bad.problems.size() == 1);
    CHECK(bad.problems[0].message == "the value of '<<' must be a map or a list of maps");
    CHECK(bad.problems[0].pos.line == 2);
    CHECK(bad.problems[0].pos.column == 3);

    const YamlDocument list = read("x: &x [1]\na:\n  <<: [*x]\n");
    REQUIRE(list.problems.size() == 1);
    CHECK(list.problems[0].message == "the value of '<<' must be a map or a list of maps");

    const YamlDocument quoted = read("\"<<\": 5\n");
    CHECK(quoted.problems.empty());
    CHECK(quoted.root->find("<<")->text == "5");
}

TEST_CASE("an alias bomb is refused quickly", "[yaml][hostile]") {
    std::string text = "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n";
    const std::string names = "abcdefghi";
    for (std::size_t level = 1; level < names.size(); ++level) {
        const std::string prev(1, names[level - 1]);
        text += std::string(1, names[level]) + ": &" + names[level] + " [";
        for (int i = 0; i < 10; ++i) {
            text += (i == 0 ? "*" : ", *") + prev;
        }
        text += "]\n";
    }
    const double seconds =
        seconds_to_refuse(text, "YAML aliases expand to more than 2000000 nodes (an alias bomb?)");
    WARN("alias bomb refused in " << seconds << " s");
    CHECK(seconds < 2.0);
}

TEST_CASE("100,000-deep flow nesting is refused quickly", "[yaml][hostile]") {
    const double seconds = seconds_to_refuse(nested_flow(100000), "nesting deeper than 64 levels");
    WARN("100,000-deep flow refused in " << seconds << " s");
    CHECK(seconds < 2.0);

    const YamlDocument doc = read(nested_flow(100000));
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].hint == "job files are shallow; flatten this value");
    CHECK(doc.problems[0].pos.line == 1);
    CHECK(doc.problems[0].pos.column == 65);
}

TEST_CASE("a file of two million open brackets is refused quickly", "[yaml][hostile]") {
    const double seconds = seconds_to_refuse(std::string(2'000'000, '[') + "\n", "nesting deeper than 64 levels");
    WARN("2,000,000 '[' refused in " << seconds << " s");
    CHECK(seconds < 2.0);

    std::string maps;
    for (int i = 0; i < 400'000; ++i) {
        maps += "{a: ";
    }
    const double map_seconds = seconds_to_refuse(maps + "\n", "nesting deeper than 64 levels");
    WARN("400,000-deep flow maps refused in " << map_seconds << " s");
    CHECK(map_seconds < 2.0);
}

TEST_CASE("100,000-deep block nesting is refused quickly", "[yaml][hostile]") {
    std::string text;
    for (int i = 0; i < 100000; ++i) {
        text += "- ";
    }
    text += "x\n";
    const double seconds = seconds_to_refuse(text, "nesting deeper than 64 levels");
    WARN("100,000-deep block sequences refused in " << seconds << " s");
    CHECK(seconds < 2.0);
    const YamlDocument doc = read(text);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].pos.line == 1);
    CHECK(doc.problems[0].pos.column == 129);

    // Indented maps cannot reach 100,000 levels within the size limit; 2,800 levels nearly fill it.
    const std::string maps = nested_block_maps(2800);
    REQUIRE(maps.size() < 4u * 1024u * 1024u);
    const double map_seconds = seconds_to_refuse(maps, "nesting deeper than 64 levels");
    WARN("2,800-deep indented maps (" << maps.size() << " bytes) refused in " << map_seconds << " s");
    CHECK(map_seconds < 2.0);
    const YamlDocument map_doc = read(maps);
    REQUIRE(map_doc.problems.size() == 1);
    CHECK(map_doc.problems[0].pos.line == 65);
    CHECK(map_doc.problems[0].pos.column == 65);
}

TEST_CASE("max_depth is exact: 64 levels are read, 65 are not", "[yaml]") {
    const YamlDocument ok = read(nested_flow(64));
    CHECK(ok.problems.empty());
    CHECK(ok.root);
    const YamlDocument deep = read(nested_flow(65));
    CHECK_FALSE(deep.root);
    REQUIRE(deep.problems.size() == 1);
    CHECK(deep.problems[0].message == "nesting deeper than 64 levels");

    CHECK(read(nested_block_maps(64)).problems.empty());
    REQUIRE(read(nested_block_maps(65)).problems.size() == 1);
    CHECK_FALSE(read(nested_block_maps(65)).root);
}

TEST_CASE("brackets inside strings do not count as nesting", "[yaml]") {
    const std::string brackets(100, '[');
    const YamlDocument doc = read("a: \"" + brackets + "\"\nb: '" + brackets + "'\n# " + brackets + "\nc: ok\n");
    CHECK(doc.problems.empty());
    REQUIRE(doc.root);
    CHECK(doc.root->find("a")->text == brackets);
    CHECK(doc.root->find("c")->text == "ok");
}

TEST_CASE("brackets in a string before a deep flow do not hide it", "[yaml][hostile]") {
    const std::string text = "a: \"" + std::string(100, '[') + "\"\nb: " + std::string(1'000'000, '[') + "\n";
    const double seconds = seconds_to_refuse(text, "nesting deeper than 64 levels");
    WARN("1,000,000-deep flow after a string of brackets refused in " << seconds << " s");
    CHECK(seconds < 2.0);
}

TEST_CASE("brackets in a string followed by real flow nesting are read", "[yaml]") {
    // 30 '[' inside a string, then 40 real levels (41 with the root map): the quick check for
    // deep brackets must not mistake this for 70 levels, with or without anchors on the levels.
    for (const std::string level : {"[", "[&n ", "{k: "}) {
        std::string text = "a: \"" + std::string(30, '[') + "\"\nb: ";
        for (int i = 0; i < 40; ++i) {
            text += level;
        }
        text += "x" + std::string(40, level[0] == '{' ? '}' : ']') + "\n";
        const YamlDocument doc = read(text);
        CHECK(doc.problems.empty());
        REQUIRE(doc.root);
        CHECK(doc.root->find("a")->text == std::string(30, '['));
        const YamlNode* node = doc.root->find("b");
        for (int i = 0; i < 40; ++i) {
            REQUIRE(node != nullptr);
            node = node->is_map() ? node->find("k") : node->items.at(0).get();
        }
        REQUIRE(node != nullptr);
        CHECK(node->text == "x");
    }
}

TEST_CASE("a byte order mark and CRLF line ends do not shift positions", "[yaml]") {
    const YamlDocument doc = read("\xEF\xBB\xBF" "a: ~\r\nb:\r\nc: 1\r\n");
    REQUIRE(doc.problems.empty());
    CHECK(doc.root->find("a")->pos.line == 1);
    CHECK(doc.root->find("a")->pos.column == 4);
    CHECK(doc.root->find("b")->pos.line == 2);
    CHECK(doc.root->find("b")->pos.column == 1);
    CHECK(doc.root->find("c")->pos.line == 3);
    CHECK(doc.root->find("c")->pos.column == 4);

    const YamlDocument alias = read("\xEF\xBB\xBF" "a: *nope\n");
    REQUIRE(alias.problems.size() == 1);
    CHECK(alias.problems[0].message == "alias '*nope' refers to an anchor that is not defined");
}

TEST_CASE("an alias counts its own depth where it is used", "[yaml]") {
    YamlLimits limits;
    limits.max_depth = 3;
    // The root map is level 1 and the anchored [[1]] two more: used as a value it reaches 3.
    CHECK(read("a: &a [[1]]\nb: *a\n", limits).problems.empty());
    const YamlDocument deep = read("a: &a [[1]]\nb: [*a]\n", limits);
    CHECK_FALSE(deep.root);
    REQUIRE(deep.problems.size() == 1);
    CHECK(deep.problems[0].message == "nesting deeper than 3 levels");
}

TEST_CASE("yaml-cpp's own recursion guard is reported as the nesting error", "[yaml]") {
    YamlLimits limits;
    limits.max_depth = 100000;
    const YamlDocument doc = read(nested_flow(5000), limits);
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    // yaml-cpp 0.7 gives up when 499 collections are open; the message says how deep it got.
    CHECK(doc.problems[0].message == "nesting deeper than 499 levels");
    CHECK(doc.problems[0].hint == "job files are shallow; flatten this value");
}

TEST_CASE("a file over the size limit is refused without parsing", "[yaml][hostile]") {
    const std::string text(5u * 1024u * 1024u, 'a');
    const YamlDocument doc = read(text);
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "file is larger than 4 MiB");
    CHECK(doc.problems[0].pos.line == 0);

    YamlLimits limits;
    limits.max_bytes = 2048;
    CHECK(read(std::string(2049, '#'), limits).problems.at(0).message == "file is larger than 2 KiB");
    CHECK(read(std::string(2048, '#'), limits).problems.empty());
    limits.max_bytes = 1000;
    CHECK(read(std::string(1001, '#'), limits).problems.at(0).message == "file is larger than 1000 bytes");
}

TEST_CASE("a syntax error is reported at yaml-cpp's position with its message", "[yaml]") {
    const YamlDocument doc = read("a: 1\n b: 2\n");
    CHECK_FALSE(doc.root);
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "illegal map value");
    CHECK(doc.problems[0].hint == "check the indentation and quoting around this line");
    CHECK(doc.problems[0].pos.line == 2);
    CHECK(doc.problems[0].pos.column == 3);

    const YamlDocument flow = read("a: [1, 2\n");
    REQUIRE(flow.problems.size() == 1);
    CHECK(flow.problems[0].message == "end of sequence flow not found");
    CHECK(flow.problems[0].pos.line == 2);
    CHECK(flow.problems[0].pos.column == 1);
}

TEST_CASE("a second document is an error at its '---'", "[yaml]") {
    const YamlDocument doc = read("a: 1\n---\nb: 2\n");
    REQUIRE(doc.problems.size() == 1);
    CHECK(doc.problems[0].message == "a job file holds one YAML document; found a second '---'");
    CHECK(doc.problems[0].pos.line == 2);
    CHECK(doc.problems[0].pos.column == 1);
    REQUIRE(doc.root);
    CHECK(doc.root->find("a")->text == "1");

    CHECK(read("---\na: 1\n...\n").problems.empty());
}

TEST_CASE("an empty document has a null root and no problem", "[yaml]") {
    for (const std::string text : {"", "# only a comment\n", "---\n"}) {
        const YamlDocument doc = read(text);
        CHECK(doc.problems.empty());
        REQUIRE(doc.root);
        CHECK(doc.root->is_null());
    }
}

TEST_CASE("yaml_to_json writes compact JSON with core-schema types in file order", "[yaml]") {
    const YamlDocument doc = read(
        "name: demo\n"
        "port: 9001\n"
        "quoted: \"9001\"\n"
        "hex: 0x1F\n"
        "oct: 0o17\n"
        "neg: -42\n"
        "big: 99999999999999999999\n"
        "ratio: .5\n"
        "inf: -.inf\n"
        "on: yes\n"
        "flag: True\n"
        "none: ~\n"
        "empty:\n"
        "list: [1, \"two\", 2.5e1]\n"
        "nested: {b: 1, a: \"x\\ty\"}\n");
    REQUIRE(doc.problems.empty());
    CHECK(yaml_to_json(*doc.root) ==
          R"({"name":"demo","port":9001,"quoted":"9001","hex":31,"oct":15,"neg":-42,)"
          R"("big":"99999999999999999999","ratio":0.5,"inf":"-.inf","on":"yes","flag":true,)"
          R"("none":null,"empty":null,"list":[1,"two",25.0],"nested":{"b":1,"a":"x\ty"}})");
}

TEST_CASE("yaml_to_json keeps the int64 extremes and writes a scalar root", "[yaml]") {
    const YamlDocument doc = read("[-9223372036854775808, 9223372036854775807, 9223372036854775808, 0x7FFFFFFFFFFFFFFF]\n");
    REQUIRE(doc.problems.empty());
    CHECK(yaml_to_json(*doc.root) ==
          R"([-9223372036854775808,9223372036854775807,"9223372036854775808",9223372036854775807])");
    CHECK(yaml_to_json(*read("hello\n").root) == R"("hello")");
}

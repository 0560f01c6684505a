#include <catch2/catch.hpp>

#include "util/ssh_config.hpp"

using agentctl::util::SshConfig;

TEST_CASE("SshConfig resolves aliases with first-match-wins") {
    const char* text =
        "# comment\n"
        "Host homelab lab2\n"
        "  HostName 10.1.2.3\n"
        "  User pi\n"
        "  Port 2222\n"
        "  IdentityFile ~/.ssh/lab\n"
        "\n"
        "Host *.example.invalid !secret.example.invalid\n"
        "  User=ops\n"
        "  HostName = %h.internal\n"
        "Match host foo\n"
        "  User ignored\n"
        "Host *\n"
        "  User fallback\n"
        "  IdentityFile ~/.ssh/id_ed25519\n";
    SshConfig config = SshConfig::parse(text);

    auto lab = config.lookup("homelab");
    CHECK(lab.host_name == "10.1.2.3");
    CHECK(lab.user == "pi");
    CHECK(lab.port == 2222);
    CHECK(lab.identity_files == std::vector<std::string>{"~/.ssh/lab", "~/.ssh/id_ed25519"});
    CHECK(config.resolve_host_name("lab2") == "10.1.2.3");

    auto web = config.lookup("web.example.invalid");
    CHECK(web.user == "ops");
    CHECK(web.host_name == "web.example.invalid.internal");
    CHECK_FALSE(web.port.has_value());

    auto secret = config.lookup("secret.example.invalid");
    CHECK(secret.user == "fallback");
    CHECK(secret.host_name.empty());
    CHECK(config.resolve_host_name("secret.example.invalid") == "secret.example.invalid");
}

TEST_CASE("SshConfig with no file resolves names to themselves") {
    SshConfig config = SshConfig::parse("");
    CHECK(config.resolve_host_name("db1") == "db1");
    CHECK(config.lookup("db1").identity_files.empty());
}

TEST_CASE("SshConfig options before any Host apply to all hosts") {
    SshConfig config = SshConfig::parse("User early\nHost x\n  User late\n");
    CHECK(config.lookup("x").user == "early");
    CHECK(config.lookup("y").user == "early");
}

#include "state/state_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "util/errors.hpp"

using agentctl::state::ensure_state_dir;
using agentctl::state::load_or_create_hash_key;
using agentctl::state::resolve_state_dir;
using agentctl::state::StateDirInputs;

namespace {

// A fresh private directory under $TMPDIR, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/state-dir-test.XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        REQUIRE(::mkdtemp(buffer.data()) != nullptr);
        m_path = buffer.data();
    }
    ~TempDir() { std::system(("rm -rf '" + m_path + "'").c_str()); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

unsigned mode_of(const std::string& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

bool is_hex64(const std::string& text) {
    if (text.size() != 64) return false;
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("the state dir follows flag, AGENTCTL_STATE_DIR, XDG_STATE_HOME, HOME in that order") {
    StateDirInputs inputs;
    inputs.flag = "/flag/dir";
    inputs.agentctl_state_dir = "/env/dir";
    inputs.xdg_state_home = "/xdg";
    inputs.home = "/home/ann";
    CHECK(resolve_state_dir(inputs) == "/flag/dir");

    inputs.flag.clear();
    CHECK(resolve_state_dir(inputs) == "/env/dir");

    inputs.agentctl_state_dir.reset();
    CHECK(resolve_state_dir(inputs) == "/xdg/agentctl");

    inputs.xdg_state_home.reset();
    CHECK(resolve_state_dir(inputs) == "/home/ann/.local/state/agentctl");
}

TEST_CASE("empty variables count as unset and a relative XDG_STATE_HOME is ignored") {
    StateDirInputs inputs;
    inputs.agentctl_state_dir = "";
    inputs.xdg_state_home = "";
    inputs.home = "/home/bo/";
    CHECK(resolve_state_dir(inputs) == "/home/bo/.local/state/agentctl");

    inputs.xdg_state_home = "relative/state";
    CHECK(resolve_state_dir(inputs) == "/home/bo/.local/state/agentctl");

    inputs.xdg_state_home = "/var/xdg/";
    CHECK(resolve_state_dir(inputs) == "/var/xdg/agentctl");
}

TEST_CASE("without any input there is no state dir") {
    StateDirInputs inputs;
    CHECK_THROWS_AS(resolve_state_dir(inputs), agentctl::util::OperationError);
}

TEST_CASE("the process inputs carry the flag through") {
    const auto inputs = agentctl::state::state_dir_inputs_from_process("/given");
    CHECK(inputs.flag == "/given");
    CHECK(resolve_state_dir(inputs) == "/given");
}

TEST_CASE("ensure_state_dir creates the dir and its parents 0700") {
    TempDir temp;
    const std::string parent = temp.path() + "/a";
    const std::string dir = parent + "/b/state";
    ensure_state_dir(dir);
    CHECK(mode_of(dir) == 0700);
    CHECK(mode_of(parent) == 0700);
    CHECK(mode_of(parent + "/b") == 0700);
    // A second call on an existing directory is fine.
    ensure_state_dir(dir);
    CHECK(mode_of(dir) == 0700);
}

TEST_CASE("ensure_state_dir tightens an existing dir of ours to 0700") {
    TempDir temp;
    const std::string dir = temp.path() + "/loose";
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);
    ensure_state_dir(dir);
    CHECK(mode_of(dir) == 0700);
}

TEST_CASE("ensure_state_dir refuses a path that is a file") {
    TempDir temp;
    const std::string file = temp.path() + "/plain";
    std::ofstream(file) << "x";
    CHECK_THROWS_AS(ensure_state_dir(file), agentctl::util::OperationError);
    CHECK_THROWS_AS(ensure_state_dir(file + "/below"), agentctl::util::OperationError);
}

TEST_CASE("the hash key is created 0600, 64 hex digits, and stable across calls") {
    TempDir temp;
    const std::string key = load_or_create_hash_key(temp.path());
    CHECK(is_hex64(key));
    CHECK(mode_of(temp.path() + "/hash.key") == 0600);
    CHECK(load_or_create_hash_key(temp.path()) == key);
    CHECK(load_or_create_hash_key(temp.path() + "/") == key);
}

TEST_CASE("each state dir has its own hash key") {
    TempDir one;
    TempDir two;
    CHECK(load_or_create_hash_key(one.path()) != load_or_create_hash_key(two.path()));
}

TEST_CASE("an existing hash key file is read, not replaced") {
    TempDir temp;
    const std::string written = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    {
        std::ofstream out(temp.path() + "/hash.key");
        out << written << "\n";
    }
    REQUIRE(::chmod((temp.path() + "/hash.key").c_str(), 0644) == 0);
    CHECK(load_or_create_hash_key(temp.path()) == written);
    CHECK(mode_of(temp.path() + "/hash.key") == 0600);
}

TEST_CASE("a malformed hash key file is an error, not silently replaced") {
    TempDir temp;
    std::ofstream(temp.path() + "/hash.key") << "not a key\n";
    CHECK_THROWS_AS(load_or_create_hash_key(temp.path()), agentctl::util::OperationError);
}

TEST_CASE("concurrent creators all get the same key") {
    TempDir temp;
    std::vector<std::string> keys(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        threads.emplace_back([&keys, &temp, i] { keys[i] = load_or_create_hash_key(temp.path()); });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& key : keys) CHECK(key == keys.front());
    CHECK(is_hex64(keys.front()));
}

TEST_CASE("a missing state dir makes key creation fail with the path") {
    TempDir temp;
    const std::string missing = temp.path() + "/nope";
    try {
        load_or_create_hash_key(missing);
        FAIL("expected an OperationError");
    } catch (const agentctl::util::OperationError& error) {
        CHECK_THAT(error.what(), Catch::Contains(missing));
    }
}

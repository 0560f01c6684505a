// The framing of scripts over one long-lived shell (ssh_shell_framing.hpp), driven through this
// machine's real /bin/sh -s as an SSH host's shell runs it: several scripts in a row on one
// shell, each answered with its own output, stderr and exit status.

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "runners/ssh_shell_framing.hpp"

using namespace agentctl::runners;

namespace {

// A real `sh -s` with pipes on its stdin, stdout and stderr.
class LocalShell {
public:
    LocalShell() {
        int in[2], out[2], err[2];
        REQUIRE(::pipe(in) == 0);
        REQUIRE(::pipe(out) == 0);
        REQUIRE(::pipe(err) == 0);
        m_pid = ::fork();
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
            ::execl("/bin/sh", "sh", "-s", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        ::close(err[1]);
        m_in = in[1];
        m_out = out[0];
        m_err = err[0];
    }
    ~LocalShell() {
        ::close(m_in);
        ::close(m_out);
        ::close(m_err);
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }

    struct Answer {
        std::string out, err;
        std::optional<int> status;
    };

    // Sends one framed script and reads both streams to their markers (small outputs only:
    // stdout is read to its end before stderr).
    Answer run(const std::string& script, std::size_t max_output = 1 << 20) {
        const std::string framed = frame_shell_script(script, m_marker);
        REQUIRE(::write(m_in, framed.data(), framed.size()) == static_cast<ssize_t>(framed.size()));
        ShellStreamReader out(m_marker, max_output), err(m_marker, max_output);
        read_to_end(m_out, out);
        read_to_end(m_err, err);
        return {out.output(), err.output(), out.status()};
    }

private:
    static void read_to_end(int fd, ShellStreamReader& reader) {
        char buffer[4096];
        while (!reader.done()) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            REQUIRE(n > 0);
            reader.feed(buffer, static_cast<std::size_t>(n));
        }
    }
    pid_t m_pid = -1;
    int m_in = -1, m_out = -1, m_err = -1;
    std::string m_marker = new_shell_marker();
};

}  // namespace

TEST_CASE("shell framing: scripts in a row on one sh each get their own answer", "[ssh][shell]") {
    LocalShell shell;
    auto first = shell.run("echo one; echo warn >&2; exit 3");
    CHECK(first.out == "one\n");
    CHECK(first.err == "warn\n");
    CHECK(first.status == 3);

    // cd, variables and set -e stay inside their script's subshell.
    auto second = shell.run("cd /tmp; x=kept; set -e; false");
    CHECK(second.out.empty());
    CHECK(second.status == 1);
    char cwd[4096];
    REQUIRE(::getcwd(cwd, sizeof cwd) != nullptr);
    REQUIRE(std::string(cwd) != "/tmp");
    auto third = shell.run("pwd; printf '[%s]' \"${x:-}\"; printf 'no newline'");
    CHECK(third.out == std::string(cwd) + "\n[]no newline");
    CHECK(third.status == 0);
}

TEST_CASE("shell framing: quotes, heredocs and stdin reads cannot break out of a script", "[ssh][shell]") {
    LocalShell shell;
    auto quoted = shell.run("printf '%s\\n' \"it's\" '$(echo no)' '`echo no`'; cat <<'E'\nx ' \" y\nE\n");
    CHECK(quoted.out == "it's\n$(echo no)\n`echo no`\nx ' \" y\n");
    // A script reading stdin sees /dev/null, not the next script's text.
    auto reading = shell.run("cat; echo read-done");
    CHECK(reading.out == "read-done\n");
    // A syntax error ends only that script.
    auto broken = shell.run("if then fi (");
    CHECK(broken.status == 2);
    CHECK_FALSE(broken.err.empty());
    auto after = shell.run("echo still-here");
    CHECK(after.out == "still-here\n");
    CHECK(after.status == 0);
}

TEST_CASE("shell framing: a signal-killed script reports 128 + signal", "[ssh][shell]") {
    LocalShell shell;
    auto killed = shell.run("sh -c 'kill -TERM $$'");
    CHECK(killed.status == 128 + SIGTERM);
}

TEST_CASE("shell framing: output is kept up to max_output and a marker split across reads is found",
          "[ssh][shell]") {
    LocalShell shell;
    auto big = shell.run("i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done", 25);
    CHECK(big.out == "0123456789\n0123456789\n012");
    CHECK(big.status == 0);

    const std::string marker = "AGENTCTL-END-0123456789abcdef0123456789abcdef";
    ShellStreamReader reader(marker, 1 << 10);
    const std::string stream = "partial" + marker + " 42\nafter";
    for (char c : stream) reader.feed(&c, 1);
    CHECK(reader.done());
    CHECK(reader.output() == "partial");
    CHECK(reader.status() == 42);
}

TEST_CASE("shell framing: markers are random", "[ssh][shell]") {
    const std::string a = new_shell_marker();
    const std::string b = new_shell_marker();
    CHECK(a.size() == 13 + 32);
    CHECK(a != b);
}

#include "runners/shim_handshake.hpp"

#include <cerrno>
#include <poll.h>
#include <sstream>
#include <unistd.h>

namespace agentctl::runners {

namespace {

constexpr std::size_t k_max_line = 4096;

}  // namespace

Handshake parse_handshake(const std::string& line) {
    Handshake handshake;
    if (line.rfind("error ", 0) == 0) {
        handshake.kind = Handshake::Kind::error;
        handshake.message = line.substr(6);
        return handshake;
    }
    std::istringstream in(line);
    std::string word;
    long long shim_pid = 0;
    long long agent_pid = 0;
    std::uint64_t shim_start = 0;
    std::uint64_t agent_start = 0;
    std::string rest;
    if (in >> word >> shim_pid >> shim_start >> agent_pid >> agent_start && word == "ok" && !(in >> rest) &&
        shim_pid > 0 && agent_pid > 0) {
        handshake.kind = Handshake::Kind::ok;
        handshake.shim = util::ProcessRef{static_cast<int>(shim_pid), shim_start};
        handshake.agent = util::ProcessRef{static_cast<int>(agent_pid), agent_start};
        return handshake;
    }
    handshake.kind = Handshake::Kind::garbled;
    handshake.message = line;
    return handshake;
}

std::vector<Handshake> read_handshakes(const std::vector<int>& fds, util::Millis timeout) {
    std::vector<Handshake> results(fds.size());
    std::vector<std::string> buffers(fds.size());
    std::vector<bool> done(fds.size(), false);
    std::size_t open_count = 0;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] < 0) {
            results[i].kind = Handshake::Kind::closed;
            done[i] = true;
        } else {
            ++open_count;
        }
    }
    auto finish = [&](std::size_t i, Handshake handshake) {
        results[i] = std::move(handshake);
        done[i] = true;
        ::close(fds[i]);
        --open_count;
    };
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<pollfd> watch;
    std::vector<std::size_t> index;
    while (open_count > 0) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        watch.clear();
        index.clear();
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (done[i]) continue;
            watch.push_back(pollfd{fds[i], POLLIN, 0});
            index.push_back(i);
        }
        int ready = ::poll(watch.data(), watch.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) break;
        for (std::size_t w = 0; w < watch.size(); ++w) {
            if (!watch[w].revents) continue;
            std::size_t i = index[w];
            char chunk[512];
            ssize_t n = ::read(fds[i], chunk, sizeof chunk);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                Handshake closed;
                closed.kind = Handshake::Kind::closed;
                closed.message = buffers[i];
                finish(i, closed);
                continue;
            }
            buffers[i].append(chunk, static_cast<std::size_t>(n));
            auto newline = buffers[i].find('\n');
            if (newline != std::string::npos) {
                finish(i, parse_handshake(buffers[i].substr(0, newline)));
            } else if (buffers[i].size() > k_max_line) {
                finish(i, parse_handshake(buffers[i]));
            }
        }
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (done[i]) continue;
        results[i].kind = Handshake::Kind::timed_out;
        ::close(fds[i]);
    }
    return results;
}

}  // namespace agentctl::runners

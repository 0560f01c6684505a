// Many agentctl processes share one state database: 8 writers and 2 readers at once must all
// succeed (WAL + busy timeout + IMMEDIATE transactions), with no write lost.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "state/state_store.hpp"
#include "state_test_support.hpp"

using agentctl::state::EventRecord;
using agentctl::state::InstanceRecord;
using agentctl::state::JobRecord;
using agentctl::state::StateStore;
using agentctl::state::testing::fork_child;
using agentctl::state::testing::Pipe;
using agentctl::state::testing::TempDir;
using agentctl::state::testing::wait_exit;

namespace {

constexpr int k_writers = 8;
constexpr int k_transactions = 200;
constexpr int k_instances_per_job = 10;
constexpr auto k_reader_time = std::chrono::seconds(3);

std::string job_name(int writer) {
    return "job-" + std::to_string(writer);
}

// Each transaction records the job at revision i, one of its 10 instances and one event.
int run_writer(const std::string& state_dir, int writer, const Pipe& go) {
    auto store = StateStore::open(state_dir);
    if (!go.receive(30000)) return 2;
    for (int i = 0; i < k_transactions; ++i) {
        auto tx = store->begin();
        JobRecord job;
        job.name = job_name(writer);
        job.file = "/jobs/" + job.name + ".yaml";
        job.revision = i;
        job.desired = "running";
        job.status = "deploying";
        tx->upsert_job(job);
        InstanceRecord instance;
        instance.job = job.name;
        instance.instance = "agent-" + std::to_string(i % k_instances_per_job);
        instance.agent = instance.instance;
        instance.status = "starting";
        instance.revision = i;
        tx->upsert_instance(instance);
        EventRecord event;
        event.job = job.name;
        event.kind = "step";
        event.message = std::to_string(i);
        tx->add_event(event);
        tx->commit();
    }
    return 0;
}

// Reads everything in a loop; a job's events are never fewer than its revision + 1 written
// before them, since each transaction wrote both together (the job row is read first).
int run_reader(const std::string& state_dir, const Pipe& go) {
    auto store = StateStore::open(state_dir);
    if (!go.receive(30000)) return 2;
    const auto until = std::chrono::steady_clock::now() + k_reader_time;
    long reads = 0;
    while (std::chrono::steady_clock::now() < until) {
        for (const auto& job : store->jobs()) {
            const auto events = store->events(job.name, 0, 1000);
            if (static_cast<int>(events.size()) < job.revision + 1) return 3;
            store->instances(job.name);
            ++reads;
        }
        store->events("", 0, 50);
    }
    return reads > 0 ? 0 : 4;
}

}  // namespace

TEST_CASE("8 writer processes and 2 reader processes share one database", "[concurrency]") {
    TempDir dir;
    StateStore::open(dir.path());
    Pipe go;
    std::vector<pid_t> children;
    for (int writer = 0; writer < k_writers; ++writer) {
        children.push_back(fork_child([&] { return run_writer(dir.path(), writer, go); }));
    }
    for (int reader = 0; reader < 2; ++reader) {
        children.push_back(fork_child([&] { return run_reader(dir.path(), go); }));
    }
    const auto started = std::chrono::steady_clock::now();
    const auto seconds_since_start = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                   .count() /
               1000.0;
    };
    for (std::size_t i = 0; i < children.size(); ++i) go.send();
    for (int writer = 0; writer < k_writers; ++writer) CHECK(wait_exit(children[static_cast<std::size_t>(writer)]) == 0);
    const double writers_done = seconds_since_start();
    for (int reader = k_writers; reader < k_writers + 2; ++reader) {
        CHECK(wait_exit(children[static_cast<std::size_t>(reader)]) == 0);
    }
    std::printf("concurrency: %d writers x %d transactions done in %.2f s (readers looping alongside), all done in %.2f s\n",
                k_writers, k_transactions, writers_done, seconds_since_start());

    auto store = StateStore::open(dir.path());
    const auto jobs = store->jobs();
    REQUIRE(jobs.size() == 8);
    for (int writer = 0; writer < k_writers; ++writer) {
        CHECK(jobs[static_cast<std::size_t>(writer)].name == job_name(writer));
        CHECK(jobs[static_cast<std::size_t>(writer)].revision == 199);
        CHECK(store->instances(job_name(writer)).size() == 10);
        CHECK(store->events(job_name(writer), 0, 10000).size() == 200);
    }
    CHECK(store->events("", 0, 100000).size() == 1600);
}

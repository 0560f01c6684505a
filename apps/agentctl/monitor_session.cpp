#include "monitor_session.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "console.hpp"
#include "deploy/job_monitor.hpp"
#include "deploy/monitor_metrics.hpp"
#include "deploy_context.hpp"
#include "flag_values.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "metrics_server.hpp"
#include "runners/log_file.hpp"
#include "state/state_store.hpp"
#include "util/errors.hpp"

namespace agentctl::cli {
namespace {

enum class ReportStyle { console, plain, json, quiet };

/// The monitor's lines on stdout: symbols and colours on a terminal, plain words in a pipe,
/// JSON lines for programs.
class LineReporter : public deploy::MonitorReporter {
public:
    LineReporter(ReportStyle style, Console console) : m_style(style), m_console(console) {}

    void change(const deploy::MonitorChange& change) override {
        if (m_style == ReportStyle::quiet) return;
        if (m_style == ReportStyle::json) {
            nlohmann::ordered_json line = {{"time", runners::format_log_time(std::chrono::system_clock::now())},
                                           {"job", change.job},
                                           {"agent", change.agent},
                                           {"instance", change.instance},
                                           {"state", change.state},
                                           {"detail", change.detail}};
            print(line.dump());
            return;
        }
        std::string words;
        if (change.state == "exited" && change.detail.rfind("exited", 0) == 0) words = change.detail;
        else if (change.state == "restarted") words = "restarted " + change.detail;
        else words = change.state + (change.detail.empty() ? "" : ": " + change.detail);
        std::string text = change.instance + " " + words;
        if (m_style == ReportStyle::plain) {
            print(text);
            return;
        }
        auto [symbol, style] = look_of(change.state);
        print(m_console.paint(Stream::out, style, symbol) + " " + text);
    }

    void note(const std::string& text) override {
        if (m_style == ReportStyle::quiet) return;
        if (m_style == ReportStyle::json) {
            print(nlohmann::ordered_json{{"time", runners::format_log_time(std::chrono::system_clock::now())},
                                         {"note", text}}
                      .dump());
        } else {
            print(text);
        }
    }

private:
    static std::pair<const char*, Style> look_of(const std::string& state) {
        if (state == "healthy" || state == "running") return {"✓", Style::success};
        if (state == "unhealthy" || state == "restarting" || state == "unknown") return {"⚠", Style::warning};
        if (state == "restarted") return {"↻", Style::note};
        if (state == "stopped") return {"■", Style::note};
        return {"✗", Style::error};
    }

    static void print(const std::string& line) {
        fmt::print("{}\n", line);
        std::fflush(stdout);
    }

    ReportStyle m_style;
    Console m_console;
};

ReportStyle report_style(const std::string& progress, bool quiet) {
    ReportStyle style = ReportStyle::plain;
    if (progress == "json") return ReportStyle::json;
    if (progress == "console" || (progress == "auto" && ::isatty(STDOUT_FILENO) == 1)) style = ReportStyle::console;
    return quiet ? ReportStyle::quiet : style;
}

// The lease: a lock row of its own per job (job names cannot contain '/'), so a monitor never
// blocks a deploy or stop of the job, while a second monitor is refused.
state::JobLock take_lease(state::StateStore& store, const std::string& job) {
    const std::string key = job + "/monitor";
    try {
        return store.lock_job(key, "monitor", util::Millis(0));
    } catch (const state::LockedError&) {
        auto owner = store.lock_owner(key);
        std::string who = owner ? "agentctl pid " + std::to_string(owner->process.pid) + " on " + owner->host : "another agentctl";
        throw state::LockedError("job '" + job + "' is already monitored by " + who +
                                 "; stop that monitor first (one monitor per job)");
    }
}

}  // namespace

void check_monitor_options(const MonitorSessionOptions& options) {
    if (options.progress != "auto" && options.progress != "console" && options.progress != "plain" &&
        options.progress != "json") {
        throw util::UsageError("--progress must be auto, console, plain or json, not '" + options.progress + "'");
    }
    optional_duration_flag("--lock-wait", options.lock_wait);
}

int run_monitor_session(DeployContext& context, const GlobalOptions& globals, const MonitorSessionOptions& options,
                        std::shared_ptr<deploy::MonitorMetrics> metrics) {
    check_monitor_options(options);
    if (!metrics) metrics = std::make_shared<deploy::MonitorMetrics>();
    InterruptScope interrupts;
    state::JobLock lease = take_lease(context.store(), options.job);
    std::optional<MetricsServer> server;
    if (!options.metrics_addr.empty()) server.emplace(options.metrics_addr, [metrics] { return metrics->render(); });

    context.start_watching();
    LineReporter reporter(report_style(options.progress, globals.quiet), Console::detect(globals.no_color));
    if (server) reporter.note("serving metrics on http://" + options.metrics_addr + "/metrics");
    deploy::JobMonitor monitor(
        context.store(), context.state_dir(),
        [&context](spec::Target target) -> runners::Runner& { return context.runner(target); }, context.prober(),
        reporter, metrics.get());
    deploy::MonitorOptions monitor_options;
    monitor_options.job = options.job;
    monitor_options.stop_requested = [] { return interrupt_requested(); };
    monitor_options.lock_wait = duration_flag("--lock-wait", options.lock_wait, util::Millis(5000));
    monitor.run(monitor_options);
    return 0;
}

}  // namespace agentctl::cli

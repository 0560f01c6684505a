// `agentctl logs JOB [AGENT...]`: the agents' output as the shim recorded it, several instances
// merged by the shim's timestamps, each line prefixed "instance | " (coloured per instance on a
// terminal); `-f` keeps following until Ctrl-C.

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "console.hpp"
#include "deploy/live_status.hpp"
#include "deploy_context.hpp"
#include "global_options.hpp"
#include "interrupt.hpp"
#include "job_lookup.hpp"
#include "runners/log_file.hpp"
#include "runners/runner.hpp"
#include "table.hpp"
#include "time_text.hpp"
#include "verbs.hpp"

namespace agentctl::cli {
namespace {

/// `logs`'s own arguments and flags.
struct LogsOptions {
    std::string job;
    std::vector<std::string> agents;       ///< positional
    std::vector<std::string> agent_flags;  ///< --agent, repeatable
    bool follow = false;
    int tail = -1;                         ///< -1: everything
    std::string since;
    bool timestamps = false;
};

/// A line on its way out: which instance it came from, and in what order it was read.
struct TaggedLine {
    runners::LogLine line;
    std::size_t source = 0;
    std::uint64_t sequence = 0;
};

// How often a follow prints what arrived: lines of one window are merged by time before printing.
constexpr auto k_follow_window = std::chrono::milliseconds(100);

// The instance colours on a terminal; an instance keeps its colour from one run to the next.
constexpr fmt::terminal_color k_palette[] = {fmt::terminal_color::cyan,         fmt::terminal_color::yellow,
                                             fmt::terminal_color::green,        fmt::terminal_color::magenta,
                                             fmt::terminal_color::blue,         fmt::terminal_color::bright_cyan,
                                             fmt::terminal_color::bright_yellow, fmt::terminal_color::bright_green,
                                             fmt::terminal_color::bright_magenta, fmt::terminal_color::bright_blue};

fmt::terminal_color color_of(const std::string& instance) {
    std::uint32_t hash = 2166136261u;  // FNV-1a: stable across runs and platforms
    for (unsigned char c : instance) hash = (hash ^ c) * 16777619u;
    return k_palette[hash % (sizeof k_palette / sizeof k_palette[0])];
}

/// Formats lines for one invocation: the prefixes are made once.
class LinePrinter {
public:
    LinePrinter(const std::vector<state::InstanceRecord>& records, bool color, bool timestamps)
        : m_timestamps(timestamps) {
        std::size_t width = 0;
        for (const auto& record : records) width = std::max(width, display_width(record.instance));
        for (const auto& record : records) {
            std::string name = record.instance;
            // Aligned columns for people; exactly "name | " in a pipe, for grep and scripts.
            if (color) name += std::string(width - display_width(name), ' ');
            m_prefixes.push_back(color ? fmt::format(fmt::fg(color_of(record.instance)), "{} |", name) : name + " |");
        }
    }

    void print(std::vector<TaggedLine>& lines) const {
        std::stable_sort(lines.begin(), lines.end(), [](const TaggedLine& a, const TaggedLine& b) {
            if (a.line.time != b.line.time) return a.line.time < b.line.time;
            return a.sequence < b.sequence;
        });
        std::string out;
        for (const auto& tagged : lines) {
            out += m_prefixes[tagged.source];
            out += ' ';
            if (m_timestamps) out += runners::format_log_time(tagged.line.time) + " ";
            out += tagged.line.text;
            out += '\n';
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
    }

private:
    bool m_timestamps;
    std::vector<std::string> m_prefixes;
};

runners::LogOptions log_options(const LogsOptions& options) {
    runners::LogOptions out;
    if (options.tail >= 0) out.tail = static_cast<std::size_t>(options.tail);
    if (!options.since.empty()) out.since = parse_since(options.since, runners::Clock::now());
    return out;
}

void print_once(DeployContext& context, const std::vector<state::InstanceRecord>& records,
                const runners::LogOptions& options, const LinePrinter& printer) {
    std::vector<TaggedLine> lines;
    std::uint64_t sequence = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        auto& runner = context.runner(deploy::target_of(records[i]));
        runner.read_logs(deploy::handle_of(records[i]), options, [&](const runners::LogLine& line) {
            lines.push_back({line, i, sequence++});
        });
    }
    printer.print(lines);
}

// One reader thread per instance; the main thread prints what they collected, window by window.
// The history (tail/since) is printed merged once every reader has reached the end of its file:
// a reader's first poll of stop_following() marks that moment.
void follow(DeployContext& context, const std::vector<state::InstanceRecord>& records,
            const runners::LogOptions& base, const LinePrinter& printer) {
    std::mutex mutex;
    std::vector<TaggedLine> pending;
    std::uint64_t sequence = 0;
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> caught_up{0};
    std::vector<runners::Runner*> runners_of;
    for (const auto& record : records) runners_of.push_back(&context.runner(deploy::target_of(record)));

    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < records.size(); ++i) {
        readers.emplace_back([&, i] {
            bool counted = false;
            auto mark = [&] {
                if (!counted) {
                    counted = true;
                    ++caught_up;
                }
            };
            runners::LogOptions options = base;
            options.follow = true;
            options.stop_following = [&] {
                mark();
                return stop.load() || interrupt_requested();
            };
            try {
                runners_of[i]->read_logs(deploy::handle_of(records[i]), options, [&](const runners::LogLine& line) {
                    std::lock_guard<std::mutex> lock(mutex);
                    pending.push_back({line, i, sequence++});
                });
            } catch (const std::exception&) {
                // One unreadable log must not end the others' follow.
            }
            mark();
        });
    }

    auto drain = [&] {
        std::vector<TaggedLine> batch;
        {
            std::lock_guard<std::mutex> lock(mutex);
            batch.swap(pending);
        }
        if (!batch.empty()) printer.print(batch);
    };
    while (caught_up.load() < records.size() && !interrupt_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    drain();
    while (!interrupt_requested()) {
        std::this_thread::sleep_for(k_follow_window);
        drain();
    }
    stop = true;
    for (auto& reader : readers) reader.join();
    drain();
}

int run_logs(const LogsOptions& options, const GlobalOptions& globals) {
    const auto console = Console::detect(globals.no_color);
    state::JobRecord job;
    auto context = open_for_job(globals, options.job, job);
    std::vector<std::string> names = options.agents;
    names.insert(names.end(), options.agent_flags.begin(), options.agent_flags.end());
    const auto records = select_records(options.job, context->store().instances(options.job), names);
    const auto base = log_options(options);
    const LinePrinter printer(records, console.colored(Stream::out), options.timestamps);

    if (!options.follow) {
        print_once(*context, records, base, printer);
        return 0;
    }
    InterruptScope interrupts;
    follow(*context, records, base, printer);
    return 0;
}

}  // namespace

Verb setup_logs(CLI::App& app, const GlobalOptions& globals) {
    auto options = std::make_shared<LogsOptions>();
    auto* command = app.add_subcommand("logs", "Print the agents' output, merged by time, each line prefixed by its instance");
    command->add_option("job", options->job, "The job")->type_name("JOB")->required();
    command->add_option("agents", options->agents, "Only these agents (ids or instance names)")->type_name("AGENT");
    command->add_option("--agent", options->agent_flags, "Only this agent (repeatable; the original's spelling)")
        ->type_name("AGENT");
    command->add_flag("-f,--follow", options->follow, "Keep printing new lines until Ctrl-C");
    command->add_option("-n,--tail", options->tail, "Only the last N lines of each instance")
        ->type_name("N")
        ->check(CLI::Range(0, 100000000));
    command->add_option("--since", options->since, "Only lines since a duration ago (10m) or an RFC 3339 time")
        ->type_name("WHEN");
    command->add_flag("-t,--timestamps", options->timestamps, "Show the time the shim stamped on each line (UTC)");
    command->footer("Exit status: 0 (also when -f ends with Ctrl-C), 4 when the job or agent does not exist.");
    return {command, [options, &globals] { return run_logs(*options, globals); }};
}

}  // namespace agentctl::cli

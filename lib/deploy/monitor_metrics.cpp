#include "deploy/monitor_metrics.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <tuple>

#include "deploy/observer.hpp"

namespace agentctl::deploy {
namespace {

const std::vector<double> k_check_buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> k_stage_buckets = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

// A label value escaped as the exposition format requires (backslash, quote, newline).
std::string label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

// The shortest text that reads back as `value` ("0.005", not "0.0050000000000000001"): bucket
// bounds are label values, compared as text by people and by queries.
std::string number(double value) {
    char text[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strtod(text, nullptr) == value) break;
    }
    return text;
}

std::string instance_labels(const MonitorMetrics::InstanceKey& key) {
    return "job=\"" + label(key.job) + "\",agent=\"" + label(key.agent) + "\",instance=\"" + label(key.instance) + "\"";
}

void header(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n";
    out += std::string("# TYPE ") + name + " " + type + "\n";
}

template <typename Histogram>
void render_histogram(std::string& out, const char* name, const std::map<std::string, Histogram>& by_job,
                      const std::vector<double>& bounds) {
    for (const auto& [job, histogram] : by_job) {
        if (histogram.counts.empty()) continue;  // made for a slot, nothing observed yet
        double cumulative = 0;
        std::string job_label = "job=\"" + label(job) + "\"";
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            cumulative += histogram.counts[i];
            out += std::string(name) + "_bucket{" + job_label + ",le=\"" + number(bounds[i]) + "\"} " + number(cumulative) + "\n";
        }
        out += std::string(name) + "_bucket{" + job_label + ",le=\"+Inf\"} " + number(histogram.count) + "\n";
        out += std::string(name) + "_sum{" + job_label + "} " + number(histogram.sum) + "\n";
        out += std::string(name) + "_count{" + job_label + "} " + number(histogram.count) + "\n";
    }
}

class StageTimingObserver : public Observer {
public:
    StageTimingObserver(Observer& inner, MonitorMetrics& metrics, std::string job)
        : m_inner(inner), m_metrics(metrics), m_job(std::move(job)) {}
    void begin(const std::string& action, const std::string& job, int revision) override {
        m_inner.begin(action, job, revision);
    }
    void wave(std::size_t index, std::size_t count, const std::vector<std::string>& instances) override {
        finish_wave();
        m_wave_started = std::chrono::steady_clock::now();
        m_inner.wave(index, count, instances);
    }
    void instance(const std::string& instance, InstanceStep step, const std::string& detail) override {
        m_inner.instance(instance, step, detail);
    }
    void note(const std::string& text) override { m_inner.note(text); }
    void end(bool ok, const std::string& summary, util::Millis took) override {
        finish_wave();
        m_inner.end(ok, summary, took);
    }

private:
    void finish_wave() {
        if (!m_wave_started) return;
        m_metrics.observe_stage(m_job, std::chrono::duration<double>(std::chrono::steady_clock::now() - *m_wave_started).count());
        m_wave_started.reset();
    }
    Observer& m_inner;
    MonitorMetrics& m_metrics;
    std::string m_job;
    std::optional<std::chrono::steady_clock::time_point> m_wave_started;
};

}  // namespace

std::unique_ptr<Observer> make_stage_timing_observer(Observer& inner, MonitorMetrics& metrics, std::string job) {
    return std::make_unique<StageTimingObserver>(inner, metrics, std::move(job));
}

bool MonitorMetrics::InstanceKey::operator<(const InstanceKey& other) const {
    return std::tie(job, agent, instance) < std::tie(other.job, other.agent, other.instance);
}

void MonitorMetrics::observe(Histogram& histogram, const std::vector<double>& bounds, double value) {
    if (histogram.counts.empty()) histogram.counts.assign(bounds.size() + 1, 0);
    std::size_t bucket = 0;
    while (bucket < bounds.size() && value > bounds[bucket]) ++bucket;
    histogram.counts[bucket] += 1;
    histogram.sum += value;
    histogram.count += 1;
}

MonitorMetrics::Slot MonitorMetrics::slot(const InstanceKey& key) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& values = m_instances[key];
    if (values.check_durations == nullptr) values.check_durations = &m_check_durations[key.job];
    return &values;
}

void MonitorMetrics::set_instance(Slot slot, bool up, bool healthy, int restarts) {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto& values = *slot;
    values.up = up;
    values.healthy = healthy;
    values.restarts = restarts;
}

void MonitorMetrics::forget_instance(const InstanceKey& key) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_instances.erase(key);
}

void MonitorMetrics::observe_check(Slot slot, bool ok, double seconds) {
    std::lock_guard<std::mutex> lock(m_mutex);
    (ok ? slot->checks_ok : slot->checks_failed) += 1;
    observe(*slot->check_durations, k_check_buckets, seconds);
}

void MonitorMetrics::observe_stage(const std::string& job, double seconds) {
    std::lock_guard<std::mutex> lock(m_mutex);
    observe(m_stage_durations[job], k_stage_buckets, seconds);
}

double MonitorMetrics::checks_total() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    double total = 0;
    for (const auto& [key, values] : m_instances) total += values.checks_ok + values.checks_failed;
    return total;
}

std::string MonitorMetrics::render() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::string out;
    header(out, "agentctl_agent_up", "gauge", "1 when the instance's process or container runs (identity checked).");
    for (const auto& [key, values] : m_instances) out += "agentctl_agent_up{" + instance_labels(key) + "} " + (values.up ? "1" : "0") + "\n";
    header(out, "agentctl_agent_healthy", "gauge", "1 when the instance passes its health check (or runs, without one).");
    for (const auto& [key, values] : m_instances) {
        out += "agentctl_agent_healthy{" + instance_labels(key) + "} " + (values.healthy ? "1" : "0") + "\n";
    }
    header(out, "agentctl_agent_restarts_total", "counter", "Restarts of the instance by its restart policy.");
    for (const auto& [key, values] : m_instances) {
        out += "agentctl_agent_restarts_total{" + instance_labels(key) + "} " + std::to_string(values.restarts) + "\n";
    }
    header(out, "agentctl_health_checks_total", "counter", "Health checks run by the monitor, by result.");
    for (const auto& [key, values] : m_instances) {
        out += "agentctl_health_checks_total{" + instance_labels(key) + ",result=\"ok\"} " + number(values.checks_ok) + "\n";
        out += "agentctl_health_checks_total{" + instance_labels(key) + ",result=\"failed\"} " + number(values.checks_failed) + "\n";
    }
    header(out, "agentctl_health_check_duration_seconds", "histogram", "How long health checks took.");
    render_histogram(out, "agentctl_health_check_duration_seconds", m_check_durations, k_check_buckets);
    header(out, "agentctl_deploy_stage_duration_seconds", "histogram", "How long each deploy stage took to start and become ready.");
    render_histogram(out, "agentctl_deploy_stage_duration_seconds", m_stage_durations, k_stage_buckets);
    return out;
}

}  // namespace agentctl::deploy

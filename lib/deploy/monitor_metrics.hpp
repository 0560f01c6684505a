#pragma once
// The monitor's Prometheus metrics (text exposition format 0.0.4): per-instance gauges and
// counters, health-check and deploy-stage duration histograms. Thread-safe: the monitor loop
// writes, an HTTP server thread renders.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace agentctl::deploy {

/// The metrics registry one monitor (or `deploy --monitor`) fills and `/metrics` renders.
class MonitorMetrics {
    struct InstanceValues;

public:
    /// The labels of one instance.
    struct InstanceKey {
        std::string job;
        std::string agent;
        std::string instance;
        bool operator<(const InstanceKey& other) const;
    };

    /// One instance's place in the registry, found once: the monitor updates a thousand
    /// instances a second, and a lookup by three label strings per update would cost more than
    /// the update. Valid until forget_instance(key) (std::map nodes never move).
    using Slot = InstanceValues*;

    /// The slot of `key`, created (all zero) when new.
    Slot slot(const InstanceKey& key);
    /// Sets agentctl_agent_up, agentctl_agent_healthy and agentctl_agent_restarts_total.
    void set_instance(Slot slot, bool up, bool healthy, int restarts);
    void set_instance(const InstanceKey& key, bool up, bool healthy, int restarts) { set_instance(slot(key), up, healthy, restarts); }
    /// Drops an instance that is no longer recorded (its slot with it).
    void forget_instance(const InstanceKey& key);
    /// Counts one health check (agentctl_health_checks_total{result}) and its duration.
    void observe_check(Slot slot, bool ok, double seconds);
    void observe_check(const InstanceKey& key, bool ok, double seconds) { observe_check(slot(key), ok, seconds); }
    /// Records how long one deploy stage (wave) took (agentctl_deploy_stage_duration_seconds).
    void observe_stage(const std::string& job, double seconds);
    /// Every health check counted so far, over all instances.
    double checks_total() const;
    /// The whole exposition, ending with a newline.
    std::string render() const;

private:
    struct Histogram {
        std::vector<double> counts;  ///< per bucket (not cumulative), plus +Inf last
        double sum = 0;
        double count = 0;
    };
    struct InstanceValues {
        bool up = false;
        bool healthy = false;
        int restarts = 0;
        double checks_ok = 0;
        double checks_failed = 0;
        Histogram* check_durations = nullptr;  ///< its job's (job histograms are never erased)
    };

    static void observe(Histogram& histogram, const std::vector<double>& bounds, double value);

    mutable std::mutex m_mutex;
    std::map<InstanceKey, InstanceValues> m_instances;
    std::map<std::string, Histogram> m_check_durations;  ///< by job
    std::map<std::string, Histogram> m_stage_durations;  ///< by job
};

class Observer;

/// An observer that forwards everything to `inner` and records how long each wave (stage) of
/// `job` took, from its start to the next wave or the end, in `metrics`.
std::unique_ptr<Observer> make_stage_timing_observer(Observer& inner, MonitorMetrics& metrics, std::string job);

}  // namespace agentctl::deploy

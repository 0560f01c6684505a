#include "deploy/observer.hpp"

#include <chrono>
#include <mutex>
#include <ostream>

#include <nlohmann/json.hpp>

namespace agentctl::deploy {

const char* instance_step_name(InstanceStep step) {
    switch (step) {
        case InstanceStep::keeping: return "keeping";
        case InstanceStep::starting: return "starting";
        case InstanceStep::started: return "started";
        case InstanceStep::ready: return "ready";
        case InstanceStep::failed: return "failed";
        case InstanceStep::stopping: return "stopping";
        case InstanceStep::stopped: return "stopped";
        case InstanceStep::restoring: break;
    }
    return "restoring";
}

namespace {

// Lines for people: a header per wave, one line per instance step. On a TTY with colour the
// step carries a symbol and a colour; otherwise the same words, plain, for CI logs.
class TextObserver final : public Observer {
public:
    TextObserver(std::ostream& out, bool color, bool symbols) : m_out(out), m_color(color), m_symbols(symbols) {}

    void begin(const std::string& action, const std::string& job, int revision) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << paint("1", capitalized(action) + " " + job) << (revision > 0 ? " (revision " + std::to_string(revision) + ")" : "")
              << "\n";
        m_out.flush();
    }

    void wave(std::size_t index, std::size_t count, const std::vector<std::string>& instances) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << paint("1", "Stage " + std::to_string(index + 1) + "/" + std::to_string(count)) << ": ";
        for (std::size_t i = 0; i < instances.size(); ++i) m_out << (i ? ", " : "") << instances[i];
        m_out << "\n";
        m_out.flush();
    }

    void instance(const std::string& instance, InstanceStep step, const std::string& detail) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << "  ";
        if (m_symbols) m_out << paint(color_of(step), symbol_of(step)) << " ";
        m_out << instance << " " << paint(color_of(step), instance_step_name(step));
        if (!detail.empty()) m_out << ": " << detail;
        m_out << "\n";
        m_out.flush();
    }

    void note(const std::string& text) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << text;
        if (text.empty() || text.back() != '\n') m_out << "\n";
        m_out.flush();
    }

    void end(bool ok, const std::string& summary, util::Millis took) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        std::string seconds = std::to_string(took.count() / 1000) + "." + std::to_string((took.count() % 1000) / 100) + "s";
        m_out << paint(ok ? "32" : "31", summary) << " in " << seconds << "\n";
        m_out.flush();
    }

private:
    static std::string capitalized(std::string word) {
        if (!word.empty() && word[0] >= 'a' && word[0] <= 'z') word[0] = static_cast<char>(word[0] - 'a' + 'A');
        return word;
    }
    static const char* symbol_of(InstanceStep step) {
        switch (step) {
            case InstanceStep::ready: return "✓";
            case InstanceStep::stopped: return "■";
            case InstanceStep::failed: return "✗";
            case InstanceStep::keeping: return "=";
            default: return "…";
        }
    }
    static const char* color_of(InstanceStep step) {
        switch (step) {
            case InstanceStep::ready: return "32";
            case InstanceStep::failed: return "31";
            case InstanceStep::stopping:
            case InstanceStep::stopped: return "33";
            case InstanceStep::keeping: return "36";
            default: return "2";
        }
    }
    std::string paint(const char* code, const std::string& text) const {
        if (!m_color) return text;
        return std::string("\033[") + code + "m" + text + "\033[0m";
    }

    std::ostream& m_out;
    bool m_color;
    bool m_symbols;
    std::mutex m_mutex;
};

// One JSON object per line, for scripts: {"event": ..., "time": ..., ...}.
class JsonObserver final : public Observer {
public:
    explicit JsonObserver(std::ostream& out) : m_out(out) {}

    void begin(const std::string& action, const std::string& job, int revision) override {
        emit({{"event", "begin"}, {"action", action}, {"job", job}, {"revision", revision}});
    }
    void wave(std::size_t index, std::size_t count, const std::vector<std::string>& instances) override {
        emit({{"event", "stage"}, {"index", index}, {"count", count}, {"instances", instances}});
    }
    void instance(const std::string& instance, InstanceStep step, const std::string& detail) override {
        emit({{"event", "instance"}, {"instance", instance}, {"step", instance_step_name(step)}, {"detail", detail}});
    }
    void note(const std::string& text) override { emit({{"event", "note"}, {"text", text}}); }
    void end(bool ok, const std::string& summary, util::Millis took) override {
        emit({{"event", "end"}, {"ok", ok}, {"summary", summary}, {"took_ms", took.count()}});
    }

private:
    void emit(nlohmann::json event) {
        auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
        event["time_ms"] = now;
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        m_out.flush();
    }
    std::ostream& m_out;
    std::mutex m_mutex;
};

class QuietObserver final : public Observer {
public:
    void begin(const std::string&, const std::string&, int) override {}
    void wave(std::size_t, std::size_t, const std::vector<std::string>&) override {}
    void instance(const std::string&, InstanceStep, const std::string&) override {}
    void note(const std::string&) override {}
    void end(bool, const std::string&, util::Millis) override {}
};

}  // namespace

std::unique_ptr<Observer> make_observer(ProgressStyle style, std::ostream& out, bool color) {
    switch (style) {
        case ProgressStyle::console: return std::make_unique<TextObserver>(out, color, true);
        case ProgressStyle::plain: return std::make_unique<TextObserver>(out, false, false);
        case ProgressStyle::json: return std::make_unique<JsonObserver>(out);
        case ProgressStyle::quiet: break;
    }
    return std::make_unique<QuietObserver>();
}

}  // namespace agentctl::deploy

#include "runners/runner.hpp"

namespace agentctl::runners {

const char* liveness_name(Liveness liveness) {
    switch (liveness) {
        case Liveness::running: return "running";
        case Liveness::exited: return "exited";
        case Liveness::missing: return "missing";
        case Liveness::unknown: break;
    }
    return "unknown";
}

}  // namespace agentctl::runners

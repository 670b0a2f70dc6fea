#include "engine/stats/prometheus.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/stats/listen_queue.h"
#include "engine/stats/scoreboard_reading.h"

namespace subhost::stats {

namespace {

using process::Scoreboard;
using process::WorkerSlot;
using process::WorkerState;
using namespace reading;  // NOLINT: the vocabulary of this file

using Label = std::pair<std::string_view, std::string_view>;
using Labels = std::initializer_list<Label>;

// Label values escape backslash, double quote and newline; HELP text
// escapes backslash and newline (format 0.0.4).
void AppendEscaped(fmt::memory_buffer& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out.append(std::string_view("\\\\"));
    } else if (c == '\n') {
      out.append(std::string_view("\\n"));
    } else if (c == '"' && quote) {
      out.append(std::string_view("\\\""));
    } else {
      out.push_back(c);
    }
  }
}

class Exposition {
 public:
  // Starts a metric family; its samples must follow before the next one.
  void Family(std::string_view name, std::string_view type,
              std::string_view help) {
    fmt::format_to(Out(), "# HELP {} ", name);
    AppendEscaped(out_, help, /*quote=*/false);
    fmt::format_to(Out(), "\n# TYPE {} {}\n", name, type);
  }
  // value: an integer, or a double written as the shortest text that reads
  // back as the same number ("0.0025", "1"), or "+Inf".
  template <typename Value>
  void Sample(std::string_view name, Labels labels, Value value) {
    out_.append(name);
    if (labels.size() > 0) {
      out_.push_back('{');
      bool first = true;
      for (const Label& label : labels) {
        if (!first) out_.push_back(',');
        first = false;
        fmt::format_to(Out(), "{}=\"", label.first);
        AppendEscaped(out_, label.second, /*quote=*/true);
        out_.push_back('"');
      }
      out_.push_back('}');
    }
    fmt::format_to(Out(), " {}\n", value);
  }
  std::string Take() { return fmt::to_string(out_); }

 private:
  std::back_insert_iterator<fmt::memory_buffer> Out() {
    return std::back_inserter(out_);
  }

  fmt::memory_buffer out_;
};

std::string_view MountLabel(const StatsContext& context, int app) {
  std::string_view mountpoint = MountpointOf(context, app);
  return mountpoint.empty() ? "/" : mountpoint;
}

// One mount's counters summed over the slots in use. Slots of exited
// workers still count until they are reset for a respawn.
struct MountTotals {
  std::uint64_t requests = 0;
  std::uint64_t exceptions = 0;
  std::uint64_t errors_5xx = 0;
  std::uint64_t latency_sum_us = 0;
  std::array<std::uint64_t, process::kLatencyBuckets> buckets = {};
};

std::vector<MountTotals> SumMounts(Scoreboard& board, int slots) {
  std::vector<MountTotals> totals(static_cast<std::size_t>(board.apps()));
  for (int s = 0; s < slots; ++s) {
    for (int a = 0; a < board.apps(); ++a) {
      const process::AppSlot& app = board.app(s, a);
      MountTotals& t = totals[static_cast<std::size_t>(a)];
      t.requests += app.requests.load(kRelaxed);
      t.exceptions += app.exceptions.load(kRelaxed);
      t.errors_5xx += app.errors_5xx.load(kRelaxed);
      t.latency_sum_us += app.latency_sum_us.load(kRelaxed);
      for (int b = 0; b < process::kLatencyBuckets; ++b) {
        t.buckets[static_cast<std::size_t>(b)] +=
            app.latency_buckets[b].load(kRelaxed);
      }
    }
  }
  return totals;
}

void WriteMountCounter(Exposition& e, const StatsContext& context,
                       const std::vector<MountTotals>& totals,
                       std::string_view name, std::string_view help,
                       std::uint64_t MountTotals::*field) {
  e.Family(name, "counter", help);
  for (std::size_t a = 0; a < totals.size(); ++a) {
    e.Sample(name, {{"mount", MountLabel(context, static_cast<int>(a))}},
             totals[a].*field);
  }
}

// Buckets are stored per interval; Prometheus wants each bucket to count
// everything at or below its bound. _count is the +Inf bucket, so the two
// always agree even when a request is read mid-update.
void WriteLatencyHistogram(Exposition& e, const StatsContext& context,
                           const std::vector<MountTotals>& totals) {
  e.Family("subhost_request_duration_seconds", "histogram",
           "Request duration in seconds, by mount.");
  for (std::size_t a = 0; a < totals.size(); ++a) {
    std::string_view mount = MountLabel(context, static_cast<int>(a));
    std::uint64_t cumulative = 0;
    for (int b = 0; b < process::kLatencyBuckets; ++b) {
      cumulative += totals[a].buckets[static_cast<std::size_t>(b)];
      fmt::memory_buffer le;
      if (b + 1 < process::kLatencyBuckets) {
        fmt::format_to(std::back_inserter(le), "{}",
                       process::kLatencyBucketsMs[b] / 1000);
      } else {
        le.append(std::string_view("+Inf"));
      }
      e.Sample(
          "subhost_request_duration_seconds_bucket",
          {{"mount", mount}, {"le", std::string_view(le.data(), le.size())}},
          cumulative);
    }
    e.Sample("subhost_request_duration_seconds_sum", {{"mount", mount}},
             static_cast<double>(totals[a].latency_sum_us) / 1e6);
    e.Sample("subhost_request_duration_seconds_count", {{"mount", mount}},
             cumulative);
  }
}

void WriteMountMetrics(Exposition& e, Scoreboard& board,
                       const StatsContext& context, int slots) {
  std::vector<MountTotals> totals = SumMounts(board, slots);
  WriteMountCounter(e, context, totals, "subhost_requests_total",
                    "Requests served, by mount.", &MountTotals::requests);
  WriteMountCounter(e, context, totals, "subhost_exceptions_total",
                    "Requests whose app raised, by mount.",
                    &MountTotals::exceptions);
  WriteMountCounter(e, context, totals, "subhost_errors_5xx_total",
                    "Responses with a 5xx status, by mount.",
                    &MountTotals::errors_5xx);
  WriteLatencyHistogram(e, context, totals);
}

const char* StateName(WorkerState state) {
  switch (state) {
    case WorkerState::kFree:
      return "free";
    case WorkerState::kStarting:
      return "starting";
    case WorkerState::kAccepting:
      return "accepting";
    case WorkerState::kStopping:
      return "stopping";
  }
  return "unknown";
}

// The "worker" label: the slot's worker id, 1-based as uWSGI counts.
class WorkerLabel {
 public:
  explicit WorkerLabel(int slot) {
    fmt::format_to(std::back_inserter(text_), "{}", slot + 1);
  }
  std::string_view view() const { return {text_.data(), text_.size()}; }

 private:
  fmt::basic_memory_buffer<char, 16> text_;
};

// Per-worker series cover every slot in use, live or not, so a worker's
// series do not vanish while it is being respawned; a free slot reports no
// process (busy 0, rss 0) and state "free".
void WriteWorkerMetrics(Exposition& e, Scoreboard& board, int slots) {
  e.Family("subhost_worker_requests_total", "counter",
           "Requests served by the worker since it was spawned.");
  for (int s = 0; s < slots; ++s) {
    e.Sample("subhost_worker_requests_total",
             {{"worker", WorkerLabel(s).view()}},
             board.worker(s).requests.load(kRelaxed));
  }
  e.Family("subhost_worker_busy", "gauge",
           "Requests the worker has in progress.");
  for (int s = 0; s < slots; ++s) {
    const WorkerSlot& w = board.worker(s);
    std::uint64_t busy = IsLive(w) ? w.busy_cores.load(kRelaxed) : 0;
    e.Sample("subhost_worker_busy", {{"worker", WorkerLabel(s).view()}}, busy);
  }
  e.Family("subhost_worker_state", "gauge",
           "1 for the worker slot's current state, 0 for the others.");
  constexpr WorkerState kStates[] = {WorkerState::kFree, WorkerState::kStarting,
                                     WorkerState::kAccepting,
                                     WorkerState::kStopping};
  for (int s = 0; s < slots; ++s) {
    WorkerState current = StateOf(board.worker(s));
    WorkerLabel worker(s);
    for (WorkerState state : kStates) {
      e.Sample("subhost_worker_state",
               {{"worker", worker.view()}, {"state", StateName(state)}},
               current == state ? 1u : 0u);
    }
  }
  e.Family("subhost_worker_rss_bytes", "gauge",
           "Resident set size of the worker process.");
  for (int s = 0; s < slots; ++s) {
    const WorkerSlot& w = board.worker(s);
    std::uint64_t rss = IsLive(w) ? w.rss_bytes.load(kRelaxed) : 0;
    e.Sample("subhost_worker_rss_bytes", {{"worker", WorkerLabel(s).view()}},
             rss);
  }
  e.Family("subhost_worker_respawns_total", "counter",
           "Times the worker slot has been respawned.");
  for (int s = 0; s < slots; ++s) {
    e.Sample("subhost_worker_respawns_total",
             {{"worker", WorkerLabel(s).view()}},
             board.worker(s).respawn_count.load(kRelaxed));
  }
}

void WriteMasterMetrics(Exposition& e, Scoreboard& board,
                        const StatsContext& context, int slots) {
  e.Family("subhost_respawns_total", "counter", "Workers respawned.");
  e.Sample("subhost_respawns_total", {},
           board.header().respawns.load(kRelaxed));
  e.Family("subhost_harakiri_total", "counter",
           "Workers killed for exceeding the harakiri timeout.");
  e.Sample("subhost_harakiri_total", {},
           board.header().harakiris.load(kRelaxed));
  std::uint64_t live = 0;
  for (int s = 0; s < slots; ++s) live += IsLive(board.worker(s)) ? 1 : 0;
  e.Family("subhost_workers", "gauge", "Live worker processes.");
  e.Sample("subhost_workers", {}, live);
  e.Family("subhost_listen_queue", "gauge",
           "Connections waiting in the socket's accept queue.");
  for (const StatsContext::Socket& socket : context.sockets) {
    e.Sample("subhost_listen_queue", {{"socket", socket.name}},
             ReadListenQueue(socket.fd, context.max_queue).queue);
  }
}

}  // namespace

std::string RenderMetrics(process::Scoreboard& board,
                          const StatsContext& context) {
  int slots = SlotsInUse(board, context);
  Exposition e;
  WriteMountMetrics(e, board, context, slots);
  WriteWorkerMetrics(e, board, slots);
  WriteMasterMetrics(e, board, context, slots);
  return e.Take();
}

}  // namespace subhost::stats

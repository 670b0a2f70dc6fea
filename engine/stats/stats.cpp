// Rendering the scoreboard: uWSGI's stats JSON and Prometheus text.
#include "engine/stats/stats.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost::stats {

namespace {

using process::Scoreboard;
using process::WorkerSlot;
using process::WorkerState;

constexpr auto kRelaxed = std::memory_order_relaxed;

// --- shared helpers ----------------------------------------------------------

// Slots the master actually uses: the scoreboard may be sized for more.
int SlotsInUse(Scoreboard& board, const StatsContext& context) {
  if (context.workers <= 0) return board.slots();
  return std::min(context.workers, board.slots());
}

int CoresInUse(Scoreboard& board, const StatsContext& context) {
  if (context.threads <= 0) return board.cores();
  return std::min(context.threads, board.cores());
}

WorkerState StateOf(const WorkerSlot& w) {
  return static_cast<WorkerState>(w.state.load(kRelaxed));
}

bool IsLive(const WorkerSlot& w) { return StateOf(w) != WorkerState::kFree; }

std::string MountpointOf(const StatsContext& context, int app) {
  if (app < static_cast<int>(context.mounts.size())) {
    return context.mounts[static_cast<std::size_t>(app)].mountpoint;
  }
  return "";
}

std::string ChdirOf(const StatsContext& context, int app) {
  if (app < static_cast<int>(context.mounts.size())) {
    return context.mounts[static_cast<std::size_t>(app)].chdir;
  }
  return "";
}

// Whole seconds of a microsecond timestamp or duration (uWSGI reports these
// as integers).
std::int64_t Seconds(std::int64_t us) { return us / 1000000; }

// --- JSON ------------------------------------------------------------------

// The length of the well-formed UTF-8 sequence at s[i], 0 if it is not one
// (overlong forms, surrogates and code points past U+10FFFF are rejected, as
// strict JSON parsers do).
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char lead = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// A JSON string literal. Paths and mountpoints are arbitrary bytes: invalid
// UTF-8 becomes U+FFFD so the document stays valid JSON.
void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

// A compact JSON builder that places the commas, so the renderers below
// read as the document's outline.
class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  void Key(std::string_view key) {
    Separate();
    AppendJsonString(&out_, key);
    out_.push_back(':');
    after_key_ = true;
  }
  void String(std::string_view v) {
    BeforeValue();
    AppendJsonString(&out_, v);
  }
  void Int(std::int64_t v) {
    BeforeValue();
    out_ += std::to_string(v);
  }
  void Uint(std::uint64_t v) {
    BeforeValue();
    out_ += std::to_string(v);
  }

  // Shorthands for "key": value.
  void Field(std::string_view key, std::string_view v) {
    Key(key);
    String(v);
  }
  void Field(std::string_view key, const char* v) {
    Key(key);
    String(v);
  }
  void Field(std::string_view key, std::int64_t v) {
    Key(key);
    Int(v);
  }
  void Field(std::string_view key, std::uint64_t v) {
    Key(key);
    Uint(v);
  }
  void Field(std::string_view key, int v) {
    Key(key);
    Int(v);
  }
  void Field(std::string_view key, unsigned v) {
    Key(key);
    Uint(v);
  }

  std::string Take() { return std::move(out_); }

 private:
  void Open(char bracket) {
    BeforeValue();
    out_.push_back(bracket);
    first_.push_back(true);
  }
  void Close(char bracket) {
    out_.push_back(bracket);
    first_.pop_back();
  }
  // A value right after its key needs no comma; any other element does,
  // unless it is the first in its container.
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    Separate();
  }
  void Separate() {
    if (first_.empty()) return;
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

// uWSGI's worker status words.
const char* StatusOf(const WorkerSlot& w) {
  switch (StateOf(w)) {
    case WorkerState::kFree:
      return "cheap";
    case WorkerState::kStopping:
      return "pause";
    default:
      break;
  }
  return w.busy_cores.load(kRelaxed) > 0 ? "busy" : "idle";
}

// Requests since the previous render; moves the mark forward. A worker
// respawned in between restarts from zero, so a count below the mark means
// everything counted is new.
std::uint64_t TakeDeltaRequests(WorkerSlot& w) {
  std::uint64_t now = w.requests.load(kRelaxed);
  std::uint64_t mark = w.requests_at_last_read.load(kRelaxed);
  std::uint64_t delta = now >= mark ? now - mark : now;
  w.requests_at_last_read.store(now, kRelaxed);
  w.delta_requests.store(delta, kRelaxed);
  return delta;
}

void WriteSocket(JsonWriter& j, const StatsContext::Socket& socket,
                 const ListenQueue& q) {
  j.BeginObject();
  j.Field("name", socket.name);
  j.Field("proto", socket.proto);
  j.Field("queue", q.queue);
  j.Field("max_queue", q.max_queue);
  j.Field("shared", 0);
  j.Field("can_offload", 0);
  j.EndObject();
}

void WriteApps(JsonWriter& j, Scoreboard& board, const StatsContext& context,
               int slot) {
  j.BeginArray();
  for (int a = 0; a < board.apps(); ++a) {
    const process::AppSlot& app = board.app(slot, a);
    if (app.interpreter_id.load(kRelaxed) < 0) continue;  // not loaded
    j.BeginObject();
    j.Field("id", a);
    j.Field("modifier1", 0);
    j.Field("mountpoint", MountpointOf(context, a));
    j.Field("startup_time",
            Seconds(static_cast<std::int64_t>(app.startup_us.load(kRelaxed))));
    j.Field("requests", app.requests.load(kRelaxed));
    j.Field("exceptions", app.exceptions.load(kRelaxed));
    j.Field("chdir", ChdirOf(context, a));
    j.EndObject();
  }
  j.EndArray();
}

void WriteCores(JsonWriter& j, Scoreboard& board, int slot, int cores) {
  j.BeginArray();
  for (int c = 0; c < cores; ++c) {
    const process::CoreSlot& core = board.core(slot, c);
    std::int64_t start_us = core.request_start_us.load(kRelaxed);
    j.BeginObject();
    j.Field("id", c);
    j.Field("requests", core.requests.load(kRelaxed));
    j.Field("static_requests", 0);
    j.Field("routed_requests", 0);
    j.Field("offloaded_requests", 0);
    j.Field("write_errors", core.write_errors.load(kRelaxed));
    j.Field("read_errors", core.read_errors.load(kRelaxed));
    j.Field("in_request", start_us != 0 ? 1 : 0);
    j.Key("vars");
    j.BeginArray();
    j.EndArray();
    j.Key("req_info");
    j.BeginObject();
    j.Field("request_start", Seconds(start_us));
    j.EndObject();
    j.EndObject();
  }
  j.EndArray();
}

void WriteWorker(JsonWriter& j, Scoreboard& board, const StatsContext& context,
                 int slot) {
  WorkerSlot& w = board.worker(slot);
  std::uint64_t requests = w.requests.load(kRelaxed);
  std::uint64_t busy_us = w.busy_us.load(kRelaxed);
  j.BeginObject();
  j.Field("id", slot + 1);
  j.Field("pid", w.pid.load(kRelaxed));
  j.Field("accepting", StateOf(w) == WorkerState::kAccepting ? 1 : 0);
  j.Field("requests", requests);
  j.Field("delta_requests", TakeDeltaRequests(w));
  j.Field("exceptions", w.exceptions.load(kRelaxed));
  j.Field("harakiri_count", w.harakiri_count.load(kRelaxed));
  j.Field("signals", 0);
  j.Field("status", StatusOf(w));
  j.Field("rss", w.rss_bytes.load(kRelaxed));
  j.Field("vsz", w.vsz_bytes.load(kRelaxed));
  j.Field("running_time", busy_us);
  j.Field("last_spawn", Seconds(w.last_spawn_us.load(kRelaxed)));
  j.Field("respawn_count", w.respawn_count.load(kRelaxed));
  j.Field("tx", w.tx_bytes.load(kRelaxed));
  j.Field("avg_rt", requests > 0 ? busy_us / requests : 0);
  j.Key("apps");
  WriteApps(j, board, context, slot);
  j.Key("cores");
  WriteCores(j, board, slot, CoresInUse(board, context));
  j.EndObject();
}

// --- Prometheus text ---------------------------------------------------------

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// Label values escape backslash, double quote and newline; HELP text
// escapes backslash and newline (format 0.0.4).
void AppendEscaped(std::string* out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// Shortest text that reads back as the same double ("0.0025", "1", "+Inf").
std::string FormatDouble(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

class Exposition {
 public:
  // Starts a metric family; its samples must follow before the next one.
  void Family(std::string_view name, std::string_view type,
              std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    AppendEscaped(&out_, help, /*quote=*/false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(std::string_view name, const Labels& labels,
              std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        AppendEscaped(&out_, labels[i].second, /*quote=*/true);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void Sample(std::string_view name, const Labels& labels, std::uint64_t v) {
    Sample(name, labels, std::to_string(v));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string MountLabel(const StatsContext& context, int app) {
  std::string mountpoint = MountpointOf(context, app);
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
  constexpr std::string_view kName = "subhost_request_duration_seconds";
  e.Family(kName, "histogram", "Request duration in seconds, by mount.");
  for (std::size_t a = 0; a < totals.size(); ++a) {
    std::string mount = MountLabel(context, static_cast<int>(a));
    std::uint64_t cumulative = 0;
    for (int b = 0; b < process::kLatencyBuckets; ++b) {
      cumulative += totals[a].buckets[static_cast<std::size_t>(b)];
      std::string le = b + 1 < process::kLatencyBuckets
                           ? FormatDouble(process::kLatencyBucketsMs[b] / 1000)
                           : "+Inf";
      e.Sample("subhost_request_duration_seconds_bucket",
               {{"mount", mount}, {"le", le}}, cumulative);
    }
    e.Sample("subhost_request_duration_seconds_sum", {{"mount", mount}},
             FormatDouble(static_cast<double>(totals[a].latency_sum_us) / 1e6));
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

// Per-worker series cover every slot in use, live or not, so a worker's
// series do not vanish while it is being respawned; a free slot reports no
// process (busy 0, rss 0) and state "free".
void WriteWorkerMetrics(Exposition& e, Scoreboard& board, int slots) {
  auto worker_label = [](int s) { return std::to_string(s + 1); };
  e.Family("subhost_worker_requests_total", "counter",
           "Requests served by the worker since it was spawned.");
  for (int s = 0; s < slots; ++s) {
    e.Sample("subhost_worker_requests_total", {{"worker", worker_label(s)}},
             board.worker(s).requests.load(kRelaxed));
  }
  e.Family("subhost_worker_busy", "gauge",
           "Requests the worker has in progress.");
  for (int s = 0; s < slots; ++s) {
    const WorkerSlot& w = board.worker(s);
    std::uint64_t busy = IsLive(w) ? w.busy_cores.load(kRelaxed) : 0;
    e.Sample("subhost_worker_busy", {{"worker", worker_label(s)}}, busy);
  }
  e.Family("subhost_worker_state", "gauge",
           "1 for the worker slot's current state, 0 for the others.");
  constexpr WorkerState kStates[] = {WorkerState::kFree, WorkerState::kStarting,
                                     WorkerState::kAccepting,
                                     WorkerState::kStopping};
  for (int s = 0; s < slots; ++s) {
    WorkerState current = StateOf(board.worker(s));
    for (WorkerState state : kStates) {
      e.Sample("subhost_worker_state",
               {{"worker", worker_label(s)}, {"state", StateName(state)}},
               current == state ? 1u : 0u);
    }
  }
  e.Family("subhost_worker_rss_bytes", "gauge",
           "Resident set size of the worker process.");
  for (int s = 0; s < slots; ++s) {
    const WorkerSlot& w = board.worker(s);
    std::uint64_t rss = IsLive(w) ? w.rss_bytes.load(kRelaxed) : 0;
    e.Sample("subhost_worker_rss_bytes", {{"worker", worker_label(s)}}, rss);
  }
  e.Family("subhost_worker_respawns_total", "counter",
           "Times the worker slot has been respawned.");
  for (int s = 0; s < slots; ++s) {
    e.Sample("subhost_worker_respawns_total", {{"worker", worker_label(s)}},
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

ListenQueue ReadListenQueue(int fd, int fallback_max) {
  ListenQueue q;
  q.max_queue = static_cast<std::uint64_t>(std::max(fallback_max, 0));
  sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (fd < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
    return q;
  }
  // On a listening socket Linux reports the accept backlog in these two
  // fields (the current queue and its limit).
  tcp_info info = {};
  socklen_t info_len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0 &&
      info.tcpi_state == TCP_LISTEN) {
    q.queue = info.tcpi_unacked;
    q.max_queue = info.tcpi_sacked;
  }
  return q;
}

std::string RenderStatsJson(process::Scoreboard& board,
                            const StatsContext& context) {
  int slots = SlotsInUse(board, context);
  std::vector<ListenQueue> queues;
  std::uint64_t listen_queue = 0;
  for (const StatsContext::Socket& socket : context.sockets) {
    queues.push_back(ReadListenQueue(socket.fd, context.max_queue));
    listen_queue += queues.back().queue;
  }
  std::uint64_t load = 0;
  for (int s = 0; s < slots; ++s) {
    const WorkerSlot& w = board.worker(s);
    if (IsLive(w)) load += w.busy_cores.load(kRelaxed);
  }

  JsonWriter j;
  j.BeginObject();
  j.Field("version", context.version);
  j.Field("listen_queue", listen_queue);
  j.Field("listen_queue_errors", 0);
  j.Field("load", load);
  j.Field("pid", static_cast<std::int64_t>(context.pid));
  j.Field("uid", static_cast<std::uint64_t>(context.uid));
  j.Field("gid", static_cast<std::uint64_t>(context.gid));
  j.Field("cwd", context.cwd);
  j.Key("sockets");
  j.BeginArray();
  for (std::size_t i = 0; i < context.sockets.size(); ++i) {
    WriteSocket(j, context.sockets[i], queues[i]);
  }
  j.EndArray();
  j.Key("workers");
  j.BeginArray();
  for (int s = 0; s < slots; ++s) {
    if (IsLive(board.worker(s))) WriteWorker(j, board, context, s);
  }
  j.EndArray();
  j.EndObject();
  return j.Take();
}

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

#include "engine/stats/stats_json.h"

#include <cstdint>
#include <vector>

#include "engine/stats/json_writer.h"
#include "engine/stats/listen_queue.h"
#include "engine/stats/scoreboard_reading.h"

namespace subhost::stats {

namespace {

using process::Scoreboard;
using process::WorkerSlot;
using process::WorkerState;
using namespace reading;  // NOLINT: the vocabulary of this file

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

}  // namespace

std::string RenderStatsJson(process::Scoreboard& board,
                            const StatsContext& context) {
  int slots = SlotsInUse(board, context);
  std::vector<ListenQueue> queues;
  queues.reserve(context.sockets.size());
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

}  // namespace subhost::stats

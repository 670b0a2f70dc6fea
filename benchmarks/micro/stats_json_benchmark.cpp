// The stats document two ways: subhost's fmt writer (RenderStatsJson) and
// the same document built as a Poco::JSON Object/Array tree and stringified.
// RenderStatsJson keeps whichever is faster; its header records the result.
// Also the Prometheus text, for scale. Arg: worker slots in use (4 threads,
// 4 mounts each).
#include <benchmark/benchmark.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "engine/process/scoreboard.h"
#include "engine/stats/prometheus.h"
#include "engine/stats/stats_context.h"
#include "engine/stats/stats_json.h"

namespace subhost::stats {
namespace {

constexpr int kThreads = 4;
constexpr int kMounts = 4;
constexpr auto kRelaxed = std::memory_order_relaxed;

// A busy-looking board: every slot live, every app loaded, counters set.
struct Fixture {
  explicit Fixture(int workers) : board(workers, kThreads, kMounts) {
    context.version = "0.1.0";
    context.pid = 4242;
    context.cwd = "/srv/app";
    context.sockets = {{"127.0.0.1:8080", "http", -1}};
    for (int a = 0; a < kMounts; ++a) {
      context.mounts.push_back(
          {a == 0 ? "" : "/app" + std::to_string(a), "/srv/app"});
    }
    context.threads = kThreads;
    context.workers = workers;
    for (int s = 0; s < workers; ++s) {
      process::WorkerSlot& w = board.worker(s);
      w.state = static_cast<std::uint32_t>(process::WorkerState::kAccepting);
      w.pid = 1000 + s;
      w.requests = 123456 + static_cast<std::uint64_t>(s);
      w.busy_us = 98765432;
      w.rss_bytes = 48u << 20;
      w.tx_bytes = 987654321;
      for (int a = 0; a < kMounts; ++a) {
        board.app(s, a).interpreter_id = a + 1;
        board.app(s, a).requests = 30000 + static_cast<std::uint64_t>(a);
      }
      for (int c = 0; c < kThreads; ++c) board.core(s, c).requests = 30864;
    }
  }
  process::Scoreboard board;
  StatsContext context;
};

void BM_StatsJson_Fmt(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string json = RenderStatsJson(f.board, f.context);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_StatsJson_Fmt)->Arg(1)->Arg(8)->Arg(64);

// The same keys, in the same order, through Poco::JSON. It leaves out what
// RenderStatsJson does beyond building the text (replacing invalid UTF-8,
// the listen-queue read, the delta_requests marks), so it is the
// lower bound of a Poco::JSON renderer.
std::string RenderWithPocoJson(process::Scoreboard& board,
                               const StatsContext& context) {
  using Poco::JSON::Array;
  using Poco::JSON::Object;
  Object::Ptr doc = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  doc->set("version", context.version);
  doc->set("listen_queue", 0);
  doc->set("listen_queue_errors", 0);
  doc->set("load", 0);
  doc->set("pid", static_cast<Poco::Int64>(context.pid));
  doc->set("uid", static_cast<Poco::UInt64>(context.uid));
  doc->set("gid", static_cast<Poco::UInt64>(context.gid));
  doc->set("cwd", context.cwd);
  Array::Ptr sockets = new Array;
  for (const StatsContext::Socket& s : context.sockets) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("name", s.name);
    o->set("proto", s.proto);
    o->set("queue", 0);
    o->set("max_queue", 100);
    o->set("shared", 0);
    o->set("can_offload", 0);
    sockets->add(o);
  }
  doc->set("sockets", sockets);
  Array::Ptr workers = new Array;
  for (int s = 0; s < context.workers; ++s) {
    process::WorkerSlot& w = board.worker(s);
    std::uint64_t requests = w.requests.load(kRelaxed);
    std::uint64_t busy_us = w.busy_us.load(kRelaxed);
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", s + 1);
    o->set("pid", w.pid.load(kRelaxed));
    o->set("accepting", 1);
    o->set("requests", requests);
    o->set("delta_requests", w.delta_requests.load(kRelaxed));
    o->set("exceptions", w.exceptions.load(kRelaxed));
    o->set("harakiri_count", w.harakiri_count.load(kRelaxed));
    o->set("signals", 0);
    o->set("status", "idle");
    o->set("rss", w.rss_bytes.load(kRelaxed));
    o->set("vsz", w.vsz_bytes.load(kRelaxed));
    o->set("running_time", busy_us);
    o->set("last_spawn", w.last_spawn_us.load(kRelaxed) / 1000000);
    o->set("respawn_count", w.respawn_count.load(kRelaxed));
    o->set("tx", w.tx_bytes.load(kRelaxed));
    o->set("avg_rt", requests > 0 ? busy_us / requests : 0);
    Array::Ptr apps = new Array;
    for (int a = 0; a < board.apps(); ++a) {
      const process::AppSlot& app = board.app(s, a);
      Object::Ptr ao = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      ao->set("id", a);
      ao->set("modifier1", 0);
      ao->set("mountpoint",
              context.mounts[static_cast<std::size_t>(a)].mountpoint);
      ao->set("startup_time", app.startup_us.load(kRelaxed) / 1000000);
      ao->set("requests", app.requests.load(kRelaxed));
      ao->set("exceptions", app.exceptions.load(kRelaxed));
      ao->set("chdir", context.mounts[static_cast<std::size_t>(a)].chdir);
      apps->add(ao);
    }
    o->set("apps", apps);
    Array::Ptr cores = new Array;
    for (int c = 0; c < context.threads; ++c) {
      const process::CoreSlot& core = board.core(s, c);
      std::int64_t start_us = core.request_start_us.load(kRelaxed);
      Object::Ptr co = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      co->set("id", c);
      co->set("requests", core.requests.load(kRelaxed));
      co->set("static_requests", 0);
      co->set("routed_requests", 0);
      co->set("offloaded_requests", 0);
      co->set("write_errors", core.write_errors.load(kRelaxed));
      co->set("read_errors", core.read_errors.load(kRelaxed));
      co->set("in_request", start_us != 0 ? 1 : 0);
      co->set("vars", Array::Ptr(new Array));
      Object::Ptr req_info = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      req_info->set("request_start", start_us / 1000000);
      co->set("req_info", req_info);
      cores->add(co);
    }
    o->set("cores", cores);
    workers->add(o);
  }
  doc->set("workers", workers);
  std::ostringstream out;
  doc->stringify(out);
  return out.str();
}

void BM_StatsJson_PocoJson(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string json = RenderWithPocoJson(f.board, f.context);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_StatsJson_PocoJson)->Arg(1)->Arg(8)->Arg(64);

void BM_Metrics_Fmt(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::string text = RenderMetrics(f.board, f.context);
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_Metrics_Fmt)->Arg(1)->Arg(8)->Arg(64);

}  // namespace
}  // namespace subhost::stats

#include "engine/process/worker.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include <fmt/format.h>

#include "engine/process/apps.h"
#include "engine/process/signal_pipe.h"
#include "engine/server/named_thread.h"
#include "subhost/server.h"

namespace subhost::process {

namespace {

// Publishes each request into the worker's scoreboard slot: plain relaxed
// atomics, one core slot per request thread, so the hot path takes no lock.
class ScoreboardObserver final : public RequestObserver {
 public:
  ScoreboardObserver(Scoreboard& board, int slot, std::vector<int> app_of_mount,
                     std::uint64_t max_requests)
      : board_(board),
        slot_(slot),
        worker_(board.worker(slot)),
        app_of_mount_(std::move(app_of_mount)),
        max_requests_(max_requests) {}

  // Called once when --max-requests is reached.
  void OnLimit(std::function<void()> f) { on_limit_ = std::move(f); }

  void RequestStarted(int thread, const Request& request) override {
    CoreSlot& core = board_.core(slot_, thread);
    CopyTruncated(core.method, request.method);
    CopyTruncated(core.path, request.path);
    core.request_start_us.store(Scoreboard::WallMicros(),
                                std::memory_order_release);
    worker_.busy_cores.fetch_add(1, std::memory_order_relaxed);
  }

  void RequestFinished(int thread, const Request&, const RequestOutcome& outcome,
                       std::uint64_t bytes_sent, double ms) override {
    constexpr auto relaxed = std::memory_order_relaxed;
    CoreSlot& core = board_.core(slot_, thread);
    core.request_start_us.store(0, relaxed);
    core.requests.fetch_add(1, relaxed);
    if (!outcome.completed) core.write_errors.fetch_add(1, relaxed);
    auto micros = static_cast<std::uint64_t>(ms * 1000.0);
    std::uint64_t served = worker_.requests.fetch_add(1, relaxed) + 1;
    worker_.tx_bytes.fetch_add(bytes_sent, relaxed);
    worker_.busy_us.fetch_add(micros, relaxed);
    worker_.busy_cores.fetch_sub(1, relaxed);
    if (outcome.app_error) worker_.exceptions.fetch_add(1, relaxed);
    if (outcome.mount_id >= 0 &&
        static_cast<size_t>(outcome.mount_id) < app_of_mount_.size() &&
        app_of_mount_[static_cast<size_t>(outcome.mount_id)] >= 0) {
      AppSlot& app =
          board_.app(slot_, app_of_mount_[static_cast<size_t>(outcome.mount_id)]);
      app.requests.fetch_add(1, relaxed);
      if (outcome.app_error) app.exceptions.fetch_add(1, relaxed);
      if (outcome.status >= 500) app.errors_5xx.fetch_add(1, relaxed);
      app.latency_sum_us.fetch_add(micros, relaxed);
      app.latency_buckets[LatencyBucket(ms)].fetch_add(1, relaxed);
    }
    if (max_requests_ > 0 && served >= max_requests_ &&
        !limit_reached_.exchange(true) && on_limit_) {
      on_limit_();
    }
  }

 private:
  Scoreboard& board_;
  int slot_;
  WorkerSlot& worker_;
  std::vector<int> app_of_mount_;  // engine mount id -> scoreboard app
  std::uint64_t max_requests_;
  std::atomic<bool> limit_reached_{false};
  std::function<void()> on_limit_;
};

std::uint64_t RequestLimit(const config::ServerConfig& cfg) {
  if (cfg.max_requests <= 0) return 0;
  std::uint64_t limit = static_cast<std::uint64_t>(cfg.max_requests);
  if (cfg.max_requests_jitter > 0) {
    // Spread recycling so that workers started together do not all
    // restart at once (gunicorn's --max-requests-jitter).
    std::random_device entropy;
    limit += std::uniform_int_distribution<std::uint64_t>(
        0, static_cast<std::uint64_t>(cfg.max_requests_jitter))(entropy);
  }
  return limit;
}

std::string WorkerName(const WorkerContext& ctx) {
  return fmt::format("worker {} (pid {})", ctx.slot + 1, ::getpid());
}

int ThreadCount() {
  int n = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(dir)) n += e->d_name[0] != '.' ? 1 : 0;
    ::closedir(dir);
  }
  return n;
}

[[noreturn]] void Exit(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

}  // namespace

void RunWorker(WorkerContext& ctx) {
  const config::ServerConfig& cfg = *ctx.cfg;
  WorkerSlot& me = ctx.scoreboard->worker(ctx.slot);
  // A worker outlives no master: if it dies, stop gracefully (the signal
  // arrives at the sigwait thread like any SIGTERM).
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != ctx.master_pid) Exit(0);
  SetProcessIdentity(ctx.slot + 1, static_cast<int>(ctx.master_pid),
                     ctx.num_workers);

  std::unique_ptr<Engine> lazy_engine;
  Engine* engine = ctx.engine != nullptr ? ctx.engine->get() : nullptr;
  if (engine == nullptr) {
    int code = 0;
    lazy_engine = LoadApps(cfg, ctx.log, false, &code);
    if (!lazy_engine) Exit(code == 0 ? 1 : code);
    engine = lazy_engine.get();
  }
  Status hooks = engine->AfterFork();
  if (!hooks.ok()) ctx.log.Error(fmt::format("{}: {}", WorkerName(ctx), hooks.message()));

  std::vector<int> app_of_mount;
  for (const MountInfo& m : engine->Mounts()) {
    if (static_cast<size_t>(m.id) >= app_of_mount.size()) {
      app_of_mount.resize(static_cast<size_t>(m.id) + 1, -1);
    }
    int index = MountIndex(cfg, m.mountpoint);
    app_of_mount[static_cast<size_t>(m.id)] = index;
    if (index >= 0 && index < ctx.scoreboard->apps()) {
      AppSlot& app = ctx.scoreboard->app(ctx.slot, index);
      app.interpreter_id.store(m.interpreter_id);
      app.startup_us.store(static_cast<std::uint64_t>(m.load_ms * 1000.0));
    }
  }

  ServerOptions so = MakeServerOptions(cfg);
  for (size_t i = 0; i < so.listeners.size(); ++i) {
    so.listeners[i].fd = ctx.listener_fds[i];
  }
  so.shared_accept = true;
  so.log = {};
  ScoreboardObserver observer(*ctx.scoreboard, ctx.slot,
                              std::move(app_of_mount), RequestLimit(cfg));
  so.observer = &observer;
  std::unique_ptr<Server> server;
  try {
    server = Server::Create(*engine, so);
  } catch (const std::exception& e) {
    ctx.log.Error(fmt::format("{}: {}", WorkerName(ctx), e.what()));
    Exit(1);
  }
  observer.OnLimit([&] {
    ctx.log.Info(fmt::format("{} served {}+ requests (--max-requests): recycling",
                             WorkerName(ctx), cfg.max_requests));
    me.state.store(static_cast<std::uint32_t>(WorkerState::kStopping));
    server->Stop();
  });

  SignalPipe signals({SIGTERM, SIGINT, SIGQUIT, SIGHUP});
  // The signal watcher: turns SIGTERM & co. into a drain or a quick exit.
  server::NamedThread signal_thread("subhost-signals");
  signal_thread.Start([&] {
    for (;;) {
      int sig = signals.Wait();
      if (sig == 0) return;  // Wake, below
      if (sig == SIGINT || sig == SIGQUIT) Exit(0);
      me.state.store(static_cast<std::uint32_t>(WorkerState::kStopping));
      server->Stop();
    }
  });

  me.state.store(static_cast<std::uint32_t>(WorkerState::kAccepting));
  ctx.log.Info(fmt::format("{} accepting requests with {} threads",
                           WorkerName(ctx), cfg.threads));
  server->Run();
  me.state.store(static_cast<std::uint32_t>(WorkerState::kStopping));
  signals.Wake();
  signal_thread.Join();
  server.reset();
  // Ending the interpreters runs the apps' atexit hooks; not possible when
  // an import left a thread behind (its phantom state aborts the end), nor
  // while a thread an app started still runs (a daemon thread aborts it, a
  // plain one makes it wait): this thread should now be the only one.
  if (ctx.engine_ends_cleanly && ThreadCount() == 1) {
    lazy_engine.reset();
    if (ctx.engine != nullptr) ctx.engine->reset();
  }
  ctx.log.Info(fmt::format("{} stopped", WorkerName(ctx)));
  Exit(0);
}

}  // namespace subhost::process

// Spawning workers, reaping them, and what each death means: a respawn,
// a throttled respawn (back-off), or the end of a reload or shutdown.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "engine/process/master_internal.h"
#include "engine/process/worker.h"

namespace subhost::process {

std::int64_t RespawnDelayS(int fast_deaths) {
  if (fast_deaths < 3) return 0;
  return std::min<std::int64_t>(std::int64_t{1} << std::min(fast_deaths - 3, 5),
                                30);
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  }
  return fmt::format("exited with code {}", WEXITSTATUS(status));
}

std::string Master::Name(int slot) const {
  return fmt::format("worker {} (pid {})", slot + 1,
                     workers_[static_cast<size_t>(slot)].pid);
}

int Master::LiveWorkers() const {
  int n = 0;
  for (const WorkerProc& w : workers_) n += w.pid > 0 ? 1 : 0;
  return n;
}

void Master::Spawn(int slot) {
  WorkerProc& w = workers_[static_cast<size_t>(slot)];
  board_->ResetForSpawn(slot);
  WorkerSlot& ws = board_->worker(slot);
  ws.state.store(static_cast<std::uint32_t>(WorkerState::kStarting));
  ws.last_spawn_us.store(Scoreboard::WallMicros());
  if (w.respawned) {
    ws.respawn_count.fetch_add(1);
    board_->header().respawns.fetch_add(1);
  }
  std::fflush(nullptr);
  pid_t master = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    log_.Error(fmt::format("fork: {}: retrying in a second",
                           std::strerror(errno)));
    ws.state.store(static_cast<std::uint32_t>(WorkerState::kFree));
    w.respawn_at_ms = MasterNowMs() + 1000;
    return;
  }
  if (pid == 0) {
    // The child keeps the listeners and the scoreboard, nothing else of
    // the master's. (It leaves by _exit: no destructor of the master's
    // objects runs in it.)
    ::close(signal_fd_);
    // The stats servers' sockets belong to StatsServer, whose own copy in
    // this child is never destroyed (_exit): drop the descriptors here.
    if (stats_) stats_->CloseInForkedChild();
    if (metrics_) metrics_->CloseInForkedChild();
    WorkerContext ctx;
    ctx.cfg = &cfg_;
    ctx.scoreboard = board_.get();
    ctx.slot = slot;
    ctx.num_workers = wanted_;
    ctx.master_pid = master;
    ctx.engine = engine_ ? &engine_ : nullptr;
    ctx.engine_ends_cleanly = engine_ends_cleanly_;
    ctx.listener_fds = listeners_.fds();
    ctx.log = log_;
    RunWorker(ctx);
  }
  ws.pid.store(pid);
  w.pid = pid;
  w.spawned_ms = MasterNowMs();
  w.stop_deadline_ms = 0;
  w.reason = StopReason::kNone;
  w.respawn_at_ms = 0;
  log_.Info(fmt::format("{} subhost worker {} ({}: {}, cores: {})",
                        w.respawned ? "respawned" : "spawned", slot + 1,
                        w.respawned ? "new pid" : "pid", pid, cfg_.threads));
  w.respawned = true;
}

void Master::AskToStop(int slot, StopReason reason, int sig) {
  WorkerProc& w = workers_[static_cast<size_t>(slot)];
  if (w.pid <= 0) return;
  if (w.reason == StopReason::kNone || sig == SIGKILL) w.reason = reason;
  if (w.stop_deadline_ms == 0) {
    w.stop_deadline_ms =
        MasterNowMs() + std::int64_t{cfg_.worker_reload_mercy} * 1000;
  }
  ::kill(w.pid, sig);
}

void Master::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < workers_.size(); ++i) {
      if (workers_[i].pid == pid) OnDeath(static_cast<int>(i), status);
    }
  }
}

void Master::OnDeath(int slot, int status) {
  WorkerProc& w = workers_[static_cast<size_t>(slot)];
  std::string name = Name(slot);
  StopReason reason = w.reason;
  std::int64_t lived_ms = MasterNowMs() - w.spawned_ms;
  w.pid = 0;
  w.stop_deadline_ms = 0;
  w.reason = StopReason::kNone;
  WorkerSlot& ws = board_->worker(slot);
  bool never_accepted =
      ws.state.load() == static_cast<std::uint32_t>(WorkerState::kStarting);
  ws.pid.store(0);
  ws.state.store(static_cast<std::uint32_t>(WorkerState::kFree));
  if (phase_ == MasterPhase::kRunning && cfg_.need_app && never_accepted &&
      WIFEXITED(status) && WEXITSTATUS(status) == 22) {
    log_.Error(fmt::format(
        "{} could not load every app (--need-app): shutting down", name));
    exit_code_ = 22;
    StartShutdown(true);
    return;
  }

  if (phase_ != MasterPhase::kRunning) {
    log_.Info(fmt::format("{} stopped, {}", name, DescribeExit(status)));
    return;
  }
  if (slot >= wanted_) {
    log_.Info(fmt::format("{} stopped (one worker fewer), {}", name,
                          DescribeExit(status)));
    return;
  }
  switch (reason) {
    case StopReason::kReplace:
      log_.Info(fmt::format("chain reload: {} stopped, {}", name,
                            DescribeExit(status)));
      Spawn(slot);
      return;
    case StopReason::kHarakiri:
      log_.Warning(fmt::format("{} killed by harakiri; respawning", name));
      Spawn(slot);
      return;
    case StopReason::kRecycle:
      log_.Info(fmt::format("{} recycled, {}; respawning", name,
                            DescribeExit(status)));
      Spawn(slot);
      return;
    default:
      break;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !never_accepted) {
    // Only --max-requests makes a worker leave by itself with 0.
    log_.Info(fmt::format("{} recycled itself (--max-requests); respawning",
                          name));
    w.fast_deaths = 0;
    Spawn(slot);
    return;
  }
  log_.Error(fmt::format("DAMN! {} died, {} :( respawning...", name,
                         DescribeExit(status)));
  // A worker that dies as it starts (say, an app fails to import in
  // lazy-apps mode) would otherwise be forked in a tight loop: back off,
  // doubling up to 30 s, after three failed starts in a row.
  w.fast_deaths = never_accepted || lived_ms < 1000 ? w.fast_deaths + 1 : 0;
  std::int64_t delay_s = RespawnDelayS(w.fast_deaths);
  if (delay_s > 0) {
    log_.Warning(fmt::format(
        "worker {} died {} times in a row within a second of starting: "
        "respawning in {} s",
        slot + 1, w.fast_deaths, delay_s));
    w.respawn_at_ms = MasterNowMs() + delay_s * 1000;
    return;
  }
  Spawn(slot);
}

}  // namespace subhost::process

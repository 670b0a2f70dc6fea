#include "engine/process/master.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/log.h"
#include "engine/net/address.h"
#include "engine/process/apps.h"
#include "engine/process/scoreboard.h"
#include "engine/process/worker.h"
#include "engine/stats/stats.h"
#include "subhost/engine.h"

namespace subhost::process {

namespace {

// Names the listening descriptors a re-executed master takes over:
// "ADDRESS=FD;ADDRESS=FD", addresses as configured.
constexpr char kInheritEnv[] = "SUBHOST_LISTEN_FDS";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) +
           " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "exited with code " + std::to_string(WEXITSTATUS(status));
}

std::int64_t MtimeNs(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
         st.st_mtim.tv_nsec;
}

// Why the master asked a worker to stop; decides what its death means.
enum class StopReason { kNone, kStop, kReplace, kRecycle, kHarakiri, kMercy };

struct WorkerProc {
  pid_t pid = 0;
  std::int64_t spawned_ms = 0;
  std::int64_t stop_deadline_ms = 0;  // 0: not asked to stop
  StopReason reason = StopReason::kNone;
  int fast_deaths = 0;                // consecutive deaths soon after spawn
  std::int64_t respawn_at_ms = 0;     // a throttled respawn is due
  bool respawned = false;             // not the first worker in this slot
};

enum class Phase { kRunning, kReloading, kShuttingDown };

class Master {
 public:
  Master(const config::ServerConfig& cfg, std::vector<std::string> argv)
      : cfg_(cfg), argv_(std::move(argv)) {}

  int Run();

 private:
  bool BindListeners();
  bool StartStats();
  void Spawn(int slot);
  void AskToStop(int slot, StopReason reason, int sig = SIGTERM);
  void Reap();
  void OnDeath(int slot, int status);
  void OnSignal(int sig);
  void Tick();
  void CheckHarakiri();
  void CheckMemory();
  void CheckTouchFiles();
  void AdvanceChain();
  void StartChain(const std::string& why);
  void StartReload(const std::string& why);
  void StartShutdown(bool graceful);
  int LiveWorkers() const;
  std::string Name(int slot) const;
  void LogStats();
  stats::StatsContext StatsInfo() const;
  void Reexec();  // returns only if exec failed
  void Cleanup();

  const config::ServerConfig& cfg_;
  std::vector<std::string> argv_;
  Logger log_;
  std::unique_ptr<Engine> engine_;  // prefork only
  bool engine_ends_cleanly_ = true;
  std::vector<int> listener_fds_;
  std::vector<std::string> listener_names_;
  std::vector<std::string> unix_paths_;  // bound here, for --vacuum
  std::unique_ptr<Scoreboard> board_;
  std::vector<WorkerProc> workers_;
  int wanted_ = 1;  // workers in slots 0..wanted_-1
  int signal_fd_ = -1;
  // The servers answer on their own threads from stats_source_, which the
  // loop keeps current; declared after it so they stop first.
  std::unique_ptr<stats::StatsSource> stats_source_;
  std::unique_ptr<stats::StatsServer> stats_;
  std::unique_ptr<stats::StatsServer> metrics_;
  Phase phase_ = Phase::kRunning;
  std::deque<int> chain_;   // slots still to replace
  int chain_slot_ = -1;     // the slot being replaced
  std::map<std::string, std::int64_t> touch_mtimes_;
  std::int64_t last_slow_tick_ms_ = 0;
  std::string start_dir_;  // where relative paths in argv_ are meant from
  std::string executable_;  // this program's path, for re-executing
  int exit_code_ = 0;
};

bool Master::BindListeners() {
  // Descriptors a previous incarnation of this master left open for us.
  std::map<std::string, int> inherited;
  if (const char* env = std::getenv(kInheritEnv)) {
    std::string text = env;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find(';', start);
      if (end == std::string::npos) end = text.size();
      std::string item = text.substr(start, end - start);
      size_t eq = item.rfind('=');
      if (eq != std::string::npos) {
        inherited[item.substr(0, eq)] = std::atoi(item.c_str() + eq + 1);
      }
      start = end + 1;
    }
    ::unsetenv(kInheritEnv);
  }
  for (const auto& spec : cfg_.listeners) {
    auto it = inherited.find(spec.address);
    int fd = -1;
    net::Address address;
    std::string error;
    if (!net::ParseAddress(spec.address, &address, &error)) {
      log_.Error("subhost: " + error);
      return false;
    }
    if (it != inherited.end()) {
      fd = it->second;
      inherited.erase(it);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    } else {
      net::BindOptions bind;
      bind.backlog = cfg_.listen_backlog;
      bind.unix_mode = cfg_.chmod_socket;
      fd = net::BindListener(address, bind, &error);
      if (fd < 0) {
        log_.Error("subhost: " + error);
        return false;
      }
    }
    if (address.kind == net::Address::Kind::kUnix) {
      // Absolute: --chdir moves the process before --vacuum removes it.
      std::string path = address.path;
      if (!path.empty() && path[0] != '/') {
        char dir[4096];
        if (::getcwd(dir, sizeof dir) != nullptr) path = std::string(dir) + "/" + path;
      }
      unix_paths_.push_back(path);
    }
    listener_fds_.push_back(fd);
    listener_names_.push_back(net::LocalName(fd));
  }
  for (const auto& [address, fd] : inherited) ::close(fd);  // no longer wanted
  return true;
}

bool Master::StartStats() {
  if (cfg_.stats.empty() && cfg_.metrics.empty()) return true;
  stats_source_ = std::make_unique<stats::StatsSource>(*board_);
  stats_source_->Publish(StatsInfo());
  stats::StatsSource* source = stats_source_.get();
  try {
    if (!cfg_.stats.empty()) {
      stats_ = std::make_unique<stats::StatsServer>(
          cfg_.stats,
          cfg_.stats_http ? stats::StatsServer::Mode::kHttp
                          : stats::StatsServer::Mode::kRaw,
          [source] { return source->StatsJson(); });
      log_.Info("*** stats server enabled on " + stats_->name() + " fd: " +
                std::to_string(stats_->fd()) + " ***");
    }
    if (!cfg_.metrics.empty()) {
      metrics_ = std::make_unique<stats::StatsServer>(
          cfg_.metrics, stats::StatsServer::Mode::kMetrics,
          [source] { return source->Metrics(); });
      log_.Info("metrics (Prometheus) on http://" + metrics_->name() +
                "/metrics");
    }
  } catch (const std::exception& e) {
    log_.Error(std::string("subhost: ") + e.what());
    return false;
  }
  return true;
}

std::string Master::Name(int slot) const {
  return "worker " + std::to_string(slot + 1) + " (pid " +
         std::to_string(workers_[static_cast<size_t>(slot)].pid) + ")";
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
    log_.Error(std::string("fork: ") + std::strerror(errno) +
               ": retrying in a second");
    ws.state.store(static_cast<std::uint32_t>(WorkerState::kFree));
    w.respawn_at_ms = NowMs() + 1000;
    return;
  }
  if (pid == 0) {
    // The child keeps the listeners and the scoreboard, nothing else of
    // the master's.
    ::close(signal_fd_);
    if (stats_) ::close(stats_->fd());
    if (metrics_) ::close(metrics_->fd());
    WorkerContext ctx;
    ctx.cfg = &cfg_;
    ctx.scoreboard = board_.get();
    ctx.slot = slot;
    ctx.num_workers = wanted_;
    ctx.master_pid = master;
    ctx.engine = engine_ ? &engine_ : nullptr;
    ctx.engine_ends_cleanly = engine_ends_cleanly_;
    ctx.listener_fds = listener_fds_;
    ctx.log = log_;
    RunWorker(ctx);
  }
  ws.pid.store(pid);
  w.pid = pid;
  w.spawned_ms = NowMs();
  w.stop_deadline_ms = 0;
  w.reason = StopReason::kNone;
  w.respawn_at_ms = 0;
  log_.Info(std::string(w.respawned ? "respawned" : "spawned") +
            " subhost worker " + std::to_string(slot + 1) +
            (w.respawned ? " (new pid: " : " (pid: ") + std::to_string(pid) +
            ", cores: " + std::to_string(cfg_.threads) + ")");
  w.respawned = true;
}

void Master::AskToStop(int slot, StopReason reason, int sig) {
  WorkerProc& w = workers_[static_cast<size_t>(slot)];
  if (w.pid <= 0) return;
  if (w.reason == StopReason::kNone || sig == SIGKILL) w.reason = reason;
  if (w.stop_deadline_ms == 0) {
    w.stop_deadline_ms = NowMs() + std::int64_t{cfg_.worker_reload_mercy} * 1000;
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
  std::int64_t lived_ms = NowMs() - w.spawned_ms;
  w.pid = 0;
  w.stop_deadline_ms = 0;
  w.reason = StopReason::kNone;
  WorkerSlot& ws = board_->worker(slot);
  bool never_accepted =
      ws.state.load() == static_cast<std::uint32_t>(WorkerState::kStarting);
  ws.pid.store(0);
  ws.state.store(static_cast<std::uint32_t>(WorkerState::kFree));
  if (phase_ == Phase::kRunning && cfg_.need_app && never_accepted &&
      WIFEXITED(status) && WEXITSTATUS(status) == 22) {
    log_.Error(name + " could not load every app (--need-app): shutting "
               "down");
    exit_code_ = 22;
    StartShutdown(true);
    return;
  }

  if (phase_ != Phase::kRunning) {
    log_.Info(name + " stopped, " + DescribeExit(status));
    return;
  }
  if (slot >= wanted_) {
    log_.Info(name + " stopped (one worker fewer), " + DescribeExit(status));
    return;
  }
  switch (reason) {
    case StopReason::kReplace:
      log_.Info("chain reload: " + name + " stopped, " + DescribeExit(status));
      Spawn(slot);
      return;
    case StopReason::kHarakiri:
      log_.Warning(name + " killed by harakiri; respawning");
      Spawn(slot);
      return;
    case StopReason::kRecycle:
      log_.Info(name + " recycled, " + DescribeExit(status) + "; respawning");
      Spawn(slot);
      return;
    default:
      break;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !never_accepted) {
    // Only --max-requests makes a worker leave by itself with 0.
    log_.Info(name + " recycled itself (--max-requests); respawning");
    w.fast_deaths = 0;
    Spawn(slot);
    return;
  }
  log_.Error("DAMN! " + name + " died, " + DescribeExit(status) +
             " :( respawning...");
  // A worker that dies as it starts (say, an app fails to import in
  // lazy-apps mode) would otherwise be forked in a tight loop: back off,
  // doubling up to 30 s, after three failed starts in a row.
  w.fast_deaths = never_accepted || lived_ms < 1000 ? w.fast_deaths + 1 : 0;
  if (w.fast_deaths >= 3) {
    std::int64_t delay_s = std::min<std::int64_t>(
        std::int64_t{1} << std::min(w.fast_deaths - 3, 5), 30);
    log_.Warning("worker " + std::to_string(slot + 1) + " died " +
                 std::to_string(w.fast_deaths) +
                 " times in a row within a second of starting: respawning in " +
                 std::to_string(delay_s) + " s");
    w.respawn_at_ms = NowMs() + delay_s * 1000;
    return;
  }
  Spawn(slot);
}

void Master::StartShutdown(bool graceful) {
  if (phase_ == Phase::kShuttingDown && graceful) return;
  phase_ = Phase::kShuttingDown;
  chain_.clear();
  chain_slot_ = -1;
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].respawn_at_ms = 0;
    AskToStop(static_cast<int>(i), StopReason::kStop,
              graceful ? SIGTERM : SIGINT);
  }
}

void Master::StartReload(const std::string& why) {
  if (phase_ != Phase::kRunning) return;
  log_.Info(why + ": graceful reload: workers finish their requests, then "
            "the apps load afresh");
  phase_ = Phase::kReloading;
  chain_.clear();
  chain_slot_ = -1;
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].respawn_at_ms = 0;
    AskToStop(static_cast<int>(i), StopReason::kStop);
  }
}

void Master::StartChain(const std::string& why) {
  if (phase_ != Phase::kRunning || chain_slot_ >= 0 || !chain_.empty()) return;
  log_.Info(why + ": chain reload: replacing " + std::to_string(wanted_) +
            " workers one at a time");
  if (engine_) {
    log_.Warning("chain reload in prefork mode: new workers are forked from "
                 "the master and run the code it loaded; use --lazy-apps "
                 "for changed code, or SIGHUP");
  }
  for (int i = 0; i < wanted_; ++i) chain_.push_back(i);
}

// One step of a chain reload: stop the next worker, and once its
// replacement accepts, go on to the one after.
void Master::AdvanceChain() {
  if (phase_ != Phase::kRunning) return;
  if (chain_slot_ >= wanted_) chain_slot_ = -1;  // SIGTTOU took that slot
  if (chain_slot_ >= 0) {
    const WorkerProc& w = workers_[static_cast<size_t>(chain_slot_)];
    auto state = static_cast<WorkerState>(
        board_->worker(chain_slot_).state.load());
    bool replaced = w.pid > 0 && w.reason == StopReason::kNone &&
                    state == WorkerState::kAccepting;
    if (!replaced) return;
    log_.Info("chain reload: " + Name(chain_slot_) + " accepting");
    chain_slot_ = -1;
  }
  while (!chain_.empty()) {
    int slot = chain_.front();
    chain_.pop_front();
    if (slot >= wanted_) continue;
    chain_slot_ = slot;
    if (workers_[static_cast<size_t>(slot)].pid > 0) {
      AskToStop(slot, StopReason::kReplace);
    } else {
      Spawn(slot);
    }
    return;
  }
}

void Master::OnSignal(int sig) {
  switch (sig) {
    case SIGCHLD:
      Reap();
      break;
    case SIGTERM:
      log_.Info("caught SIGTERM: graceful shutdown, workers finish their "
                "requests");
      StartShutdown(true);
      break;
    case SIGINT:
    case SIGQUIT:
      log_.Info(std::string("caught ") + strsignal(sig) + ": quick shutdown");
      StartShutdown(false);
      break;
    case SIGHUP:
      StartReload("caught SIGHUP");
      break;
    case SIGUSR1:
      LogStats();
      break;
    case SIGUSR2:
      StartChain("caught SIGUSR2");
      break;
    case SIGTTIN:
      if (phase_ == Phase::kRunning && wanted_ < board_->slots()) {
        ++wanted_;
        log_.Info("caught SIGTTIN: one worker more, " +
                  std::to_string(wanted_) + " now");
        WorkerProc& w = workers_[static_cast<size_t>(wanted_ - 1)];
        // A worker removed by SIGTTOU may still be finishing there; its
        // death respawns the slot, now wanted again.
        if (w.pid <= 0) {
          w.respawned = false;
          Spawn(wanted_ - 1);
        }
      }
      break;
    case SIGTTOU:
      if (phase_ == Phase::kRunning && wanted_ > 1) {
        --wanted_;
        log_.Info("caught SIGTTOU: one worker fewer, " +
                  std::to_string(wanted_) + " now");
        AskToStop(wanted_, StopReason::kStop);
      }
      break;
    default:
      break;
  }
}

void Master::CheckHarakiri() {
  if (cfg_.harakiri <= 0) return;
  std::int64_t now_us = Scoreboard::WallMicros();
  std::int64_t limit_us = std::int64_t{cfg_.harakiri} * 1000000;
  for (int slot = 0; slot < static_cast<int>(workers_.size()); ++slot) {
    WorkerProc& w = workers_[static_cast<size_t>(slot)];
    if (w.pid <= 0 || w.reason == StopReason::kHarakiri) continue;
    for (int c = 0; c < board_->cores(); ++c) {
      CoreSlot& core = board_->core(slot, c);
      std::int64_t start = core.request_start_us.load(std::memory_order_acquire);
      if (start == 0 || now_us - start < limit_us) continue;
      std::string path(core.path, strnlen(core.path, sizeof core.path));
      std::string method(core.method, strnlen(core.method, sizeof core.method));
      std::string mount = "none";
      for (const auto& m : cfg_.mounts) {
        std::string mp = m.mountpoint == "/" ? "" : m.mountpoint;
        bool under = path.compare(0, mp.size(), mp) == 0 &&
                     (path.size() == mp.size() || path[mp.size()] == '/');
        if (under && (mount == "none" || mp.size() + 2 > mount.size())) {
          mount = "'" + (mp.empty() ? std::string("/") : mp) + "'";
        }
      }
      log_.Error("HARAKIRI triggered by worker " + std::to_string(slot + 1) +
                 " (pid " + std::to_string(w.pid) + ") core " +
                 std::to_string(c) + ": " + method + " " + path + " on mount " +
                 mount + " ran " + std::to_string((now_us - start) / 1000000) +
                 " s (--harakiri " + std::to_string(cfg_.harakiri) +
                 "): killing it");
      board_->worker(slot).harakiri_count.fetch_add(1);
      board_->header().harakiris.fetch_add(1);
      AskToStop(slot, StopReason::kHarakiri, SIGKILL);
      break;
    }
  }
}

void Master::CheckMemory() {
  long page = ::sysconf(_SC_PAGESIZE);
  for (int slot = 0; slot < static_cast<int>(workers_.size()); ++slot) {
    WorkerProc& w = workers_[static_cast<size_t>(slot)];
    if (w.pid <= 0) continue;
    std::ifstream statm("/proc/" + std::to_string(w.pid) + "/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) continue;
    WorkerSlot& ws = board_->worker(slot);
    std::uint64_t rss = resident * static_cast<std::uint64_t>(page);
    ws.rss_bytes.store(rss);
    ws.vsz_bytes.store(size * static_cast<std::uint64_t>(page));
    std::uint64_t limit = std::uint64_t(cfg_.reload_on_rss) << 20;
    if (limit > 0 && rss > limit && w.reason == StopReason::kNone &&
        phase_ == Phase::kRunning) {
      log_.Warning(Name(slot) + " RSS " + std::to_string(rss >> 20) +
                   " MB is over --reload-on-rss " +
                   std::to_string(cfg_.reload_on_rss) + " MB: recycling it");
      AskToStop(slot, StopReason::kRecycle);
    }
  }
}

void Master::CheckTouchFiles() {
  bool reload = false, chain = false;
  std::string what;
  auto check = [&](const std::vector<std::string>& files, bool* flag) {
    for (const std::string& f : files) {
      std::int64_t m = MtimeNs(f);
      auto it = touch_mtimes_.find(f);
      if (it == touch_mtimes_.end()) {
        touch_mtimes_[f] = m;
      } else if (it->second != m) {
        it->second = m;
        *flag = true;
        what = f;
      }
    }
  };
  check(cfg_.touch_reload, &reload);
  if (reload) {
    StartReload(what + " was touched");
    return;
  }
  check(cfg_.touch_chain_reload, &chain);
  if (chain) StartChain(what + " was touched");
}

void Master::Tick() {
  std::int64_t now = NowMs();
  CheckHarakiri();
  for (int slot = 0; slot < static_cast<int>(workers_.size()); ++slot) {
    WorkerProc& w = workers_[static_cast<size_t>(slot)];
    if (w.pid > 0 && w.stop_deadline_ms != 0 && now > w.stop_deadline_ms &&
        w.reason != StopReason::kHarakiri && w.reason != StopReason::kMercy) {
      log_.Warning(Name(slot) + " did not stop within --worker-reload-mercy " +
                   std::to_string(cfg_.worker_reload_mercy) + " s: killing it");
      StopReason keep = w.reason;
      ::kill(w.pid, SIGKILL);
      w.reason = keep == StopReason::kNone ? StopReason::kMercy : keep;
      w.stop_deadline_ms = 0;
    }
    if (phase_ == Phase::kRunning && w.pid <= 0 && w.respawn_at_ms != 0 &&
        now >= w.respawn_at_ms && slot < wanted_) {
      Spawn(slot);
    }
  }
  AdvanceChain();
  if (now - last_slow_tick_ms_ >= 1000) {
    last_slow_tick_ms_ = now;
    CheckMemory();
    CheckTouchFiles();
  }
}

stats::StatsContext Master::StatsInfo() const {
  stats::StatsContext info;
  info.version = SUBHOST_VERSION;
  info.pid = ::getpid();
  info.uid = ::getuid();
  info.gid = ::getgid();
  char cwd[4096];
  info.cwd = ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : "";
  info.max_queue = cfg_.listen_backlog;
  for (size_t i = 0; i < listener_fds_.size(); ++i) {
    stats::StatsContext::Socket s;
    s.name = listener_names_[i];
    s.proto = cfg_.listeners[i].proto == config::ListenSpec::Proto::kHttp
                  ? "http"
                  : "uwsgi";
    s.fd = listener_fds_[i];
    info.sockets.push_back(s);
  }
  for (const auto& m : cfg_.mounts) {
    stats::StatsContext::Mount mount;
    mount.mountpoint = m.mountpoint == "/" ? "" : m.mountpoint;
    mount.chdir = cfg_.chdir;
    info.mounts.push_back(mount);
  }
  info.threads = cfg_.threads;
  int used = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i].pid > 0) used = static_cast<int>(i) + 1;
  }
  info.workers = std::max(used, wanted_);
  return info;
}

void Master::LogStats() {
  for (int slot = 0; slot < static_cast<int>(workers_.size()); ++slot) {
    if (workers_[static_cast<size_t>(slot)].pid <= 0) continue;
    WorkerSlot& ws = board_->worker(slot);
    log_.Info("stats: " + Name(slot) + " requests " +
              std::to_string(ws.requests.load()) + ", exceptions " +
              std::to_string(ws.exceptions.load()) + ", busy " +
              std::to_string(ws.busy_cores.load()) + ", respawns " +
              std::to_string(ws.respawn_count.load()) + ", rss " +
              std::to_string(ws.rss_bytes.load() >> 20) + " MB");
  }
}

void Master::Reexec() {
  // Only the listeners cross into the new master: descriptors apps or
  // extensions opened without O_CLOEXEC would otherwise pile up with each
  // reload.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  std::string inherit;
  for (size_t i = 0; i < listener_fds_.size(); ++i) {
    ::fcntl(listener_fds_[i], F_SETFD, 0);  // survive exec
    if (!inherit.empty()) inherit += ';';
    inherit += cfg_.listeners[i].address + "=" + std::to_string(listener_fds_[i]);
  }
  ::setenv(kInheritEnv, inherit.c_str(), 1);
  if (!start_dir_.empty() && ::chdir(start_dir_.c_str()) != 0) {
    log_.Warning("reload: cannot return to " + start_dir_);
  }
  std::vector<char*> args;
  for (std::string& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);
  // The program's path, not /proc/self/exe: a binary upgraded in place
  // is what a reload should run.
  log_.Info("reloading: executing " + executable_ + " again");
  std::fflush(nullptr);
  ::execv(executable_.c_str(), args.data());
  log_.Error("reload failed: cannot execute " + executable_ + ": " +
             std::strerror(errno) + "; serving on with new workers");
  for (int fd : listener_fds_) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::unsetenv(kInheritEnv);
}

void Master::Cleanup() {
  // The stats servers read the listeners' queues: stop them first.
  stats_.reset();
  metrics_.reset();
  for (int fd : listener_fds_) ::close(fd);
  if (cfg_.vacuum) {
    for (const std::string& p : unix_paths_) ::unlink(p.c_str());
  }
  if (signal_fd_ >= 0) ::close(signal_fd_);
  // Ending the interpreters here would run atexit hooks the master never
  // needed, and abort on threads an import left; the workers did that.
  if (engine_ && engine_ends_cleanly_) engine_.reset();
  (void)engine_.release();  // deliberately never ended (see above)
}

int Master::Run() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2,
                SIGTTIN, SIGTTOU}) {
    sigaddset(&signals, s);
  }
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_ = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    log_.Error(std::string("signalfd: ") + std::strerror(errno));
    return 1;
  }

  char dir[4096];
  if (::getcwd(dir, sizeof dir) != nullptr) start_dir_ = dir;
  char exe[4096];
  ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  executable_ = len > 0 ? std::string(exe, static_cast<size_t>(len))
                        : std::string("/proc/self/exe");
  wanted_ = std::max(1, cfg_.processes);
  log_.Info("spawned subhost master process (pid: " + std::to_string(::getpid()) +
            ")");
  if (!BindListeners()) return 1;
  if (cfg_.lazy_apps) {
    log_.Info("lazy-apps mode: each worker loads the apps after fork");
  } else {
    log_.Info("prefork mode: the master loads the apps once, then forks " +
              std::to_string(wanted_) + " workers");
    int code = 0;
    engine_ = LoadApps(cfg_, log_, true, &code);
    if (!engine_) return code;
    for (const MountInfo& m : engine_->Mounts()) {
      if (!m.threads_at_load.empty()) engine_ends_cleanly_ = false;
    }
  }
  // Room for SIGTTIN to add workers.
  int slots = std::min(1024, std::max(wanted_ * 2, wanted_ + 8));
  board_ = std::make_unique<Scoreboard>(
      slots, std::max(1, cfg_.threads), static_cast<int>(cfg_.mounts.size()));
  workers_.assign(static_cast<size_t>(slots), WorkerProc{});
  if (!StartStats()) return 1;
  for (size_t i = 0; i < listener_fds_.size(); ++i) {
    log_.Info(std::string("listening on ") +
              (cfg_.listeners[i].proto == config::ListenSpec::Proto::kHttp
                   ? "http "
                   : "uwsgi ") +
              listener_names_[i] + " (" + std::to_string(wanted_) +
              " workers x " + std::to_string(cfg_.threads) + " threads)");
  }
  for (const auto& f : cfg_.touch_reload) touch_mtimes_[f] = MtimeNs(f);
  for (const auto& f : cfg_.touch_chain_reload) touch_mtimes_[f] = MtimeNs(f);
  for (int slot = 0; slot < wanted_; ++slot) Spawn(slot);
  // Stats requests no longer wake this loop: measure the new workers now,
  // so the first document already shows their memory.
  Tick();
  if (stats_source_) stats_source_->Publish(StatsInfo());
  // The stats threads start after the first forks, so those happen in a
  // process with no other thread (see StatsServer::Start).
  if (stats_) stats_->Start();
  if (metrics_) metrics_->Start();

  for (;;) {
    pollfd fds[1] = {{signal_fd_, POLLIN, 0}};
    int n = ::poll(fds, 1, 100);
    if (n > 0 && (fds[0].revents & POLLIN)) {
      signalfd_siginfo info;
      while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
        OnSignal(static_cast<int>(info.ssi_signo));
      }
    }
    Reap();  // a SIGCHLD may coalesce with another signal
    Tick();
    if (stats_source_) stats_source_->Publish(StatsInfo());
    if (phase_ == Phase::kRunning || LiveWorkers() > 0) continue;
    if (phase_ == Phase::kShuttingDown) break;
    Reexec();
    phase_ = Phase::kRunning;  // exec failed: carry on as we were
    for (int slot = 0; slot < wanted_; ++slot) Spawn(slot);
  }
  Cleanup();
  log_.Info("subhost: bye");
  return exit_code_;
}

}  // namespace

int RunMaster(const config::ServerConfig& cfg,
              const std::vector<std::string>& argv) {
  Master master(cfg, argv);
  return master.Run();
}

}  // namespace subhost::process

// The master's loop: signals (through a signalfd), the stats servers, and
// a tick every 100 ms for the watchdogs. See master_internal.h for where
// the rest of the Master lives.
#include "engine/process/master.h"

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "engine/process/apps.h"
#include "engine/process/master_internal.h"

namespace subhost::process {

std::int64_t MasterNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
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
      log_.Info(fmt::format("*** stats server enabled on {} fd: {} ***",
                            stats_->name(), stats_->fd()));
    }
    if (!cfg_.metrics.empty()) {
      metrics_ = std::make_unique<stats::StatsServer>(
          cfg_.metrics, stats::StatsServer::Mode::kMetrics,
          [source] { return source->Metrics(); });
      log_.Info(fmt::format("metrics (Prometheus) on http://{}/metrics",
                            metrics_->name()));
    }
  } catch (const std::exception& e) {
    log_.Error(fmt::format("subhost: {}", e.what()));
    return false;
  }
  return true;
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
      log_.Info(fmt::format("caught {}: quick shutdown", strsignal(sig)));
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
      if (phase_ == MasterPhase::kRunning && wanted_ < board_->slots()) {
        ++wanted_;
        log_.Info(fmt::format("caught SIGTTIN: one worker more, {} now",
                              wanted_));
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
      if (phase_ == MasterPhase::kRunning && wanted_ > 1) {
        --wanted_;
        log_.Info(fmt::format("caught SIGTTOU: one worker fewer, {} now",
                              wanted_));
        AskToStop(wanted_, StopReason::kStop);
      }
      break;
    default:
      break;
  }
}

stats::StatsContext Master::StatsInfo() const {
  stats::StatsContext info;
  info.version = SUBHOST_VERSION;
  info.pid = ::getpid();
  info.uid = ::getuid();
  info.gid = ::getgid();
  char cwd[PATH_MAX];
  info.cwd = ::getcwd(cwd, sizeof cwd) != nullptr ? cwd : "";
  info.max_queue = cfg_.listen_backlog;
  std::vector<int> fds = listeners_.fds();
  for (size_t i = 0; i < fds.size(); ++i) {
    stats::StatsContext::Socket s;
    s.name = listeners_.name(i);
    s.proto = cfg_.listeners[i].proto == config::ListenSpec::Proto::kHttp
                  ? "http"
                  : "uwsgi";
    s.fd = fds[i];
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
    log_.Info(fmt::format(
        "stats: {} requests {}, exceptions {}, busy {}, respawns {}, rss {} MB",
        Name(slot), ws.requests.load(), ws.exceptions.load(),
        ws.busy_cores.load(), ws.respawn_count.load(),
        ws.rss_bytes.load() >> 20));
  }
}

void Master::Cleanup() {
  // The stats servers read the listeners' queues: stop them first.
  stats_.reset();
  metrics_.reset();
  listeners_.Close(cfg_.vacuum);
  if (signal_fd_ >= 0) ::close(signal_fd_);  // a signalfd, not a socket
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
    log_.Error(fmt::format("signalfd: {}", std::strerror(errno)));
    return 1;
  }

  char dir[PATH_MAX];
  if (::getcwd(dir, sizeof dir) != nullptr) start_dir_ = dir;
  char exe[PATH_MAX];
  ssize_t len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  executable_ = len > 0 ? std::string(exe, static_cast<size_t>(len))
                        : std::string("/proc/self/exe");
  wanted_ = std::max(1, cfg_.processes);
  log_.Info(fmt::format("spawned subhost master process (pid: {})", ::getpid()));
  if (!listeners_.Open(cfg_, log_)) return 1;
  if (cfg_.lazy_apps) {
    log_.Info("lazy-apps mode: each worker loads the apps after fork");
  } else {
    log_.Info(fmt::format(
        "prefork mode: the master loads the apps once, then forks {} workers",
        wanted_));
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
  for (size_t i = 0; i < listeners_.size(); ++i) {
    log_.Info(fmt::format(
        "listening on {} {} ({} workers x {} threads)",
        cfg_.listeners[i].proto == config::ListenSpec::Proto::kHttp ? "http"
                                                                    : "uwsgi",
        listeners_.name(i), wanted_, cfg_.threads));
  }
  CheckTouchFiles();  // the first look records the files' times
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
    if (phase_ == MasterPhase::kRunning || LiveWorkers() > 0) continue;
    if (phase_ == MasterPhase::kShuttingDown) break;
    Reexec();
    phase_ = MasterPhase::kRunning;  // exec failed: carry on as we were
    for (int slot = 0; slot < wanted_; ++slot) Spawn(slot);
  }
  Cleanup();
  log_.Info("subhost: bye");
  return exit_code_;
}

int RunMaster(const config::ServerConfig& cfg,
              const std::vector<std::string>& argv) {
  Master master(cfg, argv);
  return master.Run();
}

}  // namespace subhost::process

// What the master checks on every tick: requests running past --harakiri,
// workers that ignore a stop past --worker-reload-mercy, throttled
// respawns falling due, and (each second) worker memory against
// --reload-on-rss and the --touch-reload / --touch-chain-reload files.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "engine/process/master_internal.h"

namespace subhost::process {

namespace {

std::int64_t MtimeNs(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
         st.st_mtim.tv_nsec;
}

}  // namespace

void Master::Tick() {
  std::int64_t now = MasterNowMs();
  CheckHarakiri();
  CheckMercy(now);
  AdvanceChain();
  if (now - last_slow_tick_ms_ >= 1000) {
    last_slow_tick_ms_ = now;
    CheckMemory();
    CheckTouchFiles();
  }
}

void Master::CheckMercy(std::int64_t now) {
  for (int slot = 0; slot < static_cast<int>(workers_.size()); ++slot) {
    WorkerProc& w = workers_[static_cast<size_t>(slot)];
    if (w.pid > 0 && w.stop_deadline_ms != 0 && now > w.stop_deadline_ms &&
        w.reason != StopReason::kHarakiri && w.reason != StopReason::kMercy) {
      log_.Warning(fmt::format(
          "{} did not stop within --worker-reload-mercy {} s: killing it",
          Name(slot), cfg_.worker_reload_mercy));
      StopReason keep = w.reason;
      ::kill(w.pid, SIGKILL);
      w.reason = keep == StopReason::kNone ? StopReason::kMercy : keep;
      w.stop_deadline_ms = 0;
    }
    if (phase_ == MasterPhase::kRunning && w.pid <= 0 &&
        w.respawn_at_ms != 0 && now >= w.respawn_at_ms && slot < wanted_) {
      Spawn(slot);
    }
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
          mount = fmt::format("'{}'", mp.empty() ? "/" : mp);
        }
      }
      log_.Error(fmt::format(
          "HARAKIRI triggered by worker {} (pid {}) core {}: {} {} on mount "
          "{} ran {} s (--harakiri {}): killing it",
          slot + 1, w.pid, c, method, path, mount, (now_us - start) / 1000000,
          cfg_.harakiri));
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
    std::ifstream statm(fmt::format("/proc/{}/statm", w.pid));
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) continue;
    WorkerSlot& ws = board_->worker(slot);
    std::uint64_t rss = resident * static_cast<std::uint64_t>(page);
    ws.rss_bytes.store(rss);
    ws.vsz_bytes.store(size * static_cast<std::uint64_t>(page));
    std::uint64_t limit = std::uint64_t(cfg_.reload_on_rss) << 20;
    if (limit > 0 && rss > limit && w.reason == StopReason::kNone &&
        phase_ == MasterPhase::kRunning) {
      log_.Warning(fmt::format(
          "{} RSS {} MB is over --reload-on-rss {} MB: recycling it",
          Name(slot), rss >> 20, cfg_.reload_on_rss));
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
    StartReload(fmt::format("{} was touched", what));
    return;
  }
  check(cfg_.touch_chain_reload, &chain);
  if (chain) StartChain(fmt::format("{} was touched", what));
}

}  // namespace subhost::process

// Master: the supervising process behind RunMaster. One object, its
// methods grouped by concern in master_*.cpp files:
//   master.cpp              the loop, signals, the stats servers
//   master_supervision.cpp  spawning, reaping, respawn back-off
//   master_reload.cpp       graceful and chain reloads, shutdown, re-exec
//   master_watchdogs.cpp    harakiri, reload-mercy, --reload-on-rss, touch files
// The listeners and their hand-over across exec are a ListenerSet.
//
// Thread contract: everything runs on the master's one thread.
#ifndef SUBHOST_ENGINE_PROCESS_MASTER_INTERNAL_H_
#define SUBHOST_ENGINE_PROCESS_MASTER_INTERNAL_H_

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/server_config.h"
#include "engine/log.h"
#include "engine/process/listener_set.h"
#include "engine/process/scoreboard.h"
#include "engine/stats/stats.h"
#include "subhost/engine.h"

namespace subhost::process {

// Milliseconds on the steady clock.
std::int64_t MasterNowMs();

// "exited with code 3", "killed by signal 9 (Killed)".
std::string DescribeExit(int status);

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

// How long to wait before respawning a worker that died fast_deaths times
// in a row right after starting: none for the first two, then doubling from
// 1 s up to 30 s.
std::int64_t RespawnDelayS(int fast_deaths);

enum class MasterPhase { kRunning, kReloading, kShuttingDown };

class Master {
 public:
  Master(const config::ServerConfig& cfg, std::vector<std::string> argv)
      : cfg_(cfg), argv_(std::move(argv)) {}

  int Run();

 private:
  // master.cpp
  bool StartStats();
  void OnSignal(int sig);
  void LogStats();
  stats::StatsContext StatsInfo() const;
  void Cleanup();
  // master_supervision.cpp
  void Spawn(int slot);
  void AskToStop(int slot, StopReason reason, int sig = SIGTERM);
  void Reap();
  void OnDeath(int slot, int status);
  int LiveWorkers() const;
  std::string Name(int slot) const;
  // master_reload.cpp
  void StartShutdown(bool graceful);
  void StartReload(const std::string& why);
  void StartChain(const std::string& why);
  void AdvanceChain();
  void Reexec();  // returns only if exec failed
  // master_watchdogs.cpp
  void Tick();
  void CheckHarakiri();
  void CheckMercy(std::int64_t now);
  void CheckMemory();
  void CheckTouchFiles();

  const config::ServerConfig& cfg_;
  std::vector<std::string> argv_;
  Logger log_;
  std::unique_ptr<Engine> engine_;  // prefork only
  bool engine_ends_cleanly_ = true;
  ListenerSet listeners_;
  std::unique_ptr<Scoreboard> board_;
  std::vector<WorkerProc> workers_;
  int wanted_ = 1;  // workers in slots 0..wanted_-1
  int signal_fd_ = -1;
  // The servers answer on their own threads from stats_source_, which the
  // loop keeps current; declared after it so they stop first.
  std::unique_ptr<stats::StatsSource> stats_source_;
  std::unique_ptr<stats::StatsServer> stats_;
  std::unique_ptr<stats::StatsServer> metrics_;
  MasterPhase phase_ = MasterPhase::kRunning;
  std::deque<int> chain_;   // slots still to replace
  int chain_slot_ = -1;     // the slot being replaced
  std::map<std::string, std::int64_t> touch_mtimes_;
  std::int64_t last_slow_tick_ms_ = 0;
  std::string start_dir_;   // where relative paths in argv_ are meant from
  std::string executable_;  // this program's path, for re-executing
  int exit_code_ = 0;
};

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_MASTER_INTERNAL_H_

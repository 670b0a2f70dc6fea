// A worker process: what runs in the child after the master forks. It
// loads the apps (lazy-apps) or takes the ones the master loaded (prefork),
// runs the apps' post-fork hooks, serves the listeners it inherited, and
// reports into its scoreboard slot.
//
// Signals (blocked in every thread, taken by one): SIGTERM and SIGHUP stop
// gracefully (finish requests in flight, then exit 0); SIGINT and SIGQUIT
// exit at once. The worker also stops by itself after --max-requests
// (exit 0) and when its master dies.
#ifndef SUBHOST_ENGINE_PROCESS_WORKER_H_
#define SUBHOST_ENGINE_PROCESS_WORKER_H_

#include <sys/types.h>

#include <memory>
#include <vector>

#include "engine/config/server_config.h"
#include "engine/log.h"
#include "engine/process/scoreboard.h"
#include "subhost/engine.h"

namespace subhost::process {

struct WorkerContext {
  const config::ServerConfig* cfg = nullptr;
  Scoreboard* scoreboard = nullptr;
  int slot = 0;            // worker id is slot + 1
  int num_workers = 1;
  pid_t master_pid = 0;
  // Prefork: the apps the master loaded (the worker owns its copy). Null in
  // lazy-apps mode: the worker loads them.
  std::unique_ptr<Engine>* engine = nullptr;
  bool engine_ends_cleanly = true;  // false: import left threads behind
  std::vector<int> listener_fds;   // in cfg->listeners order
  Logger log;
};

// Runs the worker and exits the process; never returns.
[[noreturn]] void RunWorker(WorkerContext& context);

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_WORKER_H_

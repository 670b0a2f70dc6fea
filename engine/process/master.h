// The master process: binds the listeners, loads the apps once (prefork,
// the default) or leaves them to the workers (--lazy-apps), forks the
// workers and supervises them: respawns the dead (throttled when they die
// at start), kills a worker stuck past --harakiri, recycles one past
// --reload-on-rss, reloads on SIGHUP or --touch-reload (re-executing
// itself, so the apps load fresh while the listening sockets stay open),
// replaces workers one at a time on SIGUSR2 or --touch-chain-reload, adds
// and removes workers on SIGTTIN and SIGTTOU, logs stats on SIGUSR1, and
// serves the stats and metrics documents from the shared scoreboard.
//
// Thread contract: one thread. Run it on the process's main thread, before
// any other thread exists (it forks).
#ifndef SUBHOST_ENGINE_PROCESS_MASTER_H_
#define SUBHOST_ENGINE_PROCESS_MASTER_H_

#include <string>
#include <vector>

#include "engine/config/server_config.h"

namespace subhost::process {

// Serves cfg with a master and cfg.processes workers until SIGTERM, SIGINT
// or SIGQUIT; returns the process's exit code. argv is the command line, for
// re-executing on a reload.
int RunMaster(const config::ServerConfig& cfg,
              const std::vector<std::string>& argv);

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_MASTER_H_

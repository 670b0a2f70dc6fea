// Loading the configured apps into an Engine, and the listener options, as
// the single process, the prefork master and each lazy-apps worker all do.
//
// Thread contract: call on the thread that will own the Engine.
#ifndef SUBHOST_ENGINE_PROCESS_APPS_H_
#define SUBHOST_ENGINE_PROCESS_APPS_H_

#include <memory>

#include "engine/config/server_config.h"
#include "engine/log.h"
#include "subhost/engine.h"
#include "subhost/server.h"

namespace subhost::process {

// Creates the Engine and mounts every app (the Engine logs a line per app).
// With fork_report, warns about what each import leaves behind that forked
// workers would share (descriptors) or lose (threads). Returns null when the
// process must exit, with *exit_code set: 1 when no app loaded or Python
// failed to start, 22 under --need-app when any app failed.
std::unique_ptr<Engine> LoadApps(const config::ServerConfig& cfg,
                                 const Logger& log, bool fork_report,
                                 int* exit_code);

// The Server options for cfg, listeners bound by address (not inherited).
ServerOptions MakeServerOptions(const config::ServerConfig& cfg);

// Index of mountpoint in cfg.mounts ("" and "/" alike; "/x/" as "/x"), -1
// if absent.
int MountIndex(const config::ServerConfig& cfg, const std::string& mountpoint);

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_APPS_H_

// The subhost command: flags and ini files as uWSGI and gunicorn users know
// them, an Engine with the mounts, and a Server on the listeners.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "engine/config/server_config.h"
#include "engine/log.h"
#include "engine/process/apps.h"
#include "engine/process/master.h"
#include "engine/process/signal_pipe.h"
#include "engine/server/named_thread.h"
#include "subhost/engine.h"
#include "subhost/server.h"

namespace {

using subhost::config::ServerConfig;

// Options that only a master can carry out.
bool NeedsMaster(const ServerConfig& cfg) {
  return cfg.master || cfg.processes > 1 || cfg.lazy_apps ||
         !cfg.stats.empty() || !cfg.metrics.empty() || cfg.harakiri > 0 ||
         cfg.max_requests > 0 || cfg.reload_on_rss > 0 ||
         !cfg.touch_reload.empty() || !cfg.touch_chain_reload.empty();
}

// Thousands of idle keep-alive connections need descriptors: take the hard
// limit, as servers do.
void RaiseDescriptorLimit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

// One process, no master: the apps and the listeners in this process.
int Serve(const ServerConfig& cfg) {
  subhost::Logger log;
  for (const std::string& note : subhost::config::NoteLines(cfg)) log.Info(note);
  RaiseDescriptorLimit();

  // The C++ side owns these signals, taken by one thread.
  subhost::process::SignalPipe signals({SIGTERM, SIGINT, SIGQUIT, SIGHUP});
  ::signal(SIGPIPE, SIG_IGN);

  log.Info(fmt::format("subhost {} on CPython {}, pid {}", SUBHOST_VERSION,
                       subhost::PythonVersion(), getpid()));
  int code = 0;
  std::unique_ptr<subhost::Engine> engine =
      subhost::process::LoadApps(cfg, log, false, &code);
  if (!engine) return code;

  subhost::ServerOptions so = subhost::process::MakeServerOptions(cfg);
  std::unique_ptr<subhost::Server> server;
  try {
    server = subhost::Server::Create(*engine, so);
  } catch (const std::exception& e) {
    log.Error(fmt::format("subhost: {}", e.what()));
    return 1;
  }
  for (const std::string& l : server->Listening()) {
    log.Info(fmt::format("listening on {} ({} threads)", l, cfg.threads));
  }

  // The signal watcher: the first SIGTERM/SIGINT/SIGQUIT/SIGHUP drains.
  subhost::server::NamedThread signal_thread("subhost-signals");
  signal_thread.Start([&] {
    int sig = signals.Wait();
    log.Info(fmt::format("caught {}: finishing requests in flight, then exiting",
                         strsignal(sig)));
    server->Stop();
  });
  server->Run();  // returns once the signal thread has stopped it
  signal_thread.Join();
  server.reset();
  engine.reset();
  log.Info("subhost: bye");
  return 0;
}

// Request threads allocate and free body-sized buffers (64 KiB and up) on
// every request. With glibc's default, freeing one at the top of a thread's
// arena hands the pages back (madvise) and the next request faults them in
// again: a 64 KiB POST echo ran 10x slower than with the pages kept. Keep
// up to 8 MiB free per arena, and let allocations up to 1 MiB come from
// the arenas instead of a fresh mmap each time.
void TuneMalloc() {
  ::mallopt(M_TRIM_THRESHOLD, 8 << 20);
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  TuneMalloc();
  ServerConfig cfg;
  bool help = false, version = false;
  std::string error;
  bool parsed = subhost::config::ParseCommandLine(argc, argv, &cfg, &help,
                                                  &version, &error);
  // --check-config reports on everything, errors included, and exits 1 on
  // one; it may come after the option in error, so look for it in argv.
  bool check = cfg.check_config;
  for (int i = 1; i < argc && !check; ++i) {
    std::string_view a = argv[i];
    check = a == "--check-config" || a == "--print-config";
  }
  if (check && !help && !version) {
    if (parsed) subhost::config::Validate(cfg, &error);
    std::fputs(subhost::config::CheckConfigReport(cfg, error).c_str(), stdout);
    return error.empty() ? 0 : 1;
  }
  if (!parsed) {
    fmt::print(stderr, "subhost: {} (see --help)\n", error);
    return 2;
  }
  if (help) {
    std::fputs(subhost::config::HelpText().c_str(), stdout);
    return 0;
  }
  if (version) {
    fmt::print("subhost {} (CPython {})\n", SUBHOST_VERSION,
               subhost::PythonVersion());
    return 0;
  }
  if (!subhost::config::Validate(cfg, &error)) {
    fmt::print(stderr, "subhost: {} (see --help)\n", error);
    return 2;
  }
  if (NeedsMaster(cfg)) {
    subhost::Logger log;
    for (const std::string& note : subhost::config::NoteLines(cfg)) {
      log.Info(note);
    }
    log.Info(fmt::format("subhost {} on CPython {}", SUBHOST_VERSION,
                         subhost::PythonVersion()));
    RaiseDescriptorLimit();
    return subhost::process::RunMaster(cfg,
                                       std::vector<std::string>(argv, argv + argc));
  }
  return Serve(cfg);
}

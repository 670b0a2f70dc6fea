#include "engine/process/apps.h"

#include <unistd.h>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/process/fork_safety.h"

namespace subhost::process {

namespace {

std::string Canonical(std::string mountpoint) {
  while (!mountpoint.empty() && mountpoint.back() == '/') mountpoint.pop_back();
  return mountpoint;
}

// What the import of the app at mountpoint left for forked workers to
// trip over: every worker would share each descriptor, and none would run
// the threads.
void ReportForkHazards(const Logger& log, const std::string& mountpoint,
                       const std::vector<std::string>& descriptors,
                       const std::vector<std::string>& threads) {
  std::string_view name =
      mountpoint.empty() ? std::string_view("/") : std::string_view(mountpoint);
  if (!descriptors.empty()) {
    log.Warning(fmt::format(
        "fork-safety: mount '{}' left open at import, to be shared by every "
        "worker: {}; use --lazy-apps, or open them in a @subhost.postfork hook",
        name, fmt::join(descriptors, ", ")));
  }
  if (!threads.empty()) {
    log.Warning(fmt::format(
        "fork-safety: mount '{}' started Python threads at import, which will "
        "not run in the workers: {}; use --lazy-apps, or start them in a "
        "@subhost.postfork hook",
        name, fmt::join(threads, ", ")));
  }
}

}  // namespace

std::unique_ptr<Engine> LoadApps(const config::ServerConfig& cfg,
                                 const Logger& log, bool fork_report,
                                 int* exit_code) {
  Options options;
  options.python_path = cfg.pythonpath;
  options.virtualenv = cfg.home;
  options.chdir = cfg.chdir;
  options.env = cfg.env;
  options.default_callable = cfg.callable;
  options.single_interpreter = cfg.single_interpreter;
  options.own_gil = cfg.own_gil;
  options.multithread = cfg.threads > 1;
  options.multiprocess = cfg.processes > 1;
  std::unique_ptr<Engine> engine;
  try {
    engine = Engine::Create(options);
  } catch (const std::exception& e) {
    log.Error(fmt::format("subhost: {}", e.what()));
    *exit_code = 1;
    return nullptr;
  }
  if (!cfg.single_interpreter && cfg.mounts.size() > 1) {
    log.Info("*** subhost is running in multiple interpreter mode ***");
  }
  int loaded = 0;
  for (const auto& m : cfg.mounts) {
    MountOptions mo;
    for (const std::string& mp : cfg.main_interpreter_mounts) {
      if (Canonical(mp) == Canonical(m.mountpoint)) mo.main_interpreter = true;
    }
    std::set<int> before;
    if (fork_report) before = OpenDescriptors();
    Status s = engine->Mount(m.mountpoint, m.target, mo);
    if (!s.ok()) {
      log.Error(s.message());
      continue;
    }
    ++loaded;
    if (!fork_report) continue;
    std::vector<std::string> threads;
    for (const MountInfo& info : engine->Mounts()) {
      if (Canonical(info.mountpoint) == Canonical(m.mountpoint)) {
        threads = info.threads_at_load;
      }
    }
    ReportForkHazards(log, Canonical(m.mountpoint),
                      DescribeNewDescriptors(before, OpenDescriptors()),
                      threads);
  }
  if (loaded == 0) {
    log.Error(cfg.need_app ? "no app could be loaded (--need-app): exiting"
                           : "no app could be loaded: exiting");
    *exit_code = cfg.need_app ? 22 : 1;
    return nullptr;
  }
  if (cfg.need_app && loaded != static_cast<int>(cfg.mounts.size())) {
    log.Error("--need-app: a mount failed to load: exiting");
    *exit_code = 22;
    return nullptr;
  }
  *exit_code = 0;
  return engine;
}

ServerOptions MakeServerOptions(const config::ServerConfig& cfg) {
  ServerOptions so;
  for (const auto& l : cfg.listeners) {
    ServerOptions::Listen listen;
    listen.protocol = l.proto == config::ListenSpec::Proto::kHttp
                          ? ServerOptions::Listen::Protocol::kHttp
                          : ServerOptions::Listen::Protocol::kUwsgi;
    listen.address = l.address;
    so.listeners.push_back(listen);
  }
  so.threads = cfg.threads;
  so.listen_backlog = cfg.listen_backlog;
  so.buffer_size = cfg.buffer_size;
  so.limit_post = cfg.limit_post;
  so.post_buffering = cfg.post_buffering;
  so.socket_timeout_s = cfg.socket_timeout;
  so.log_requests = !cfg.disable_logging;
  so.unix_socket_mode = cfg.chmod_socket;
  so.vacuum = cfg.vacuum;
  return so;
}

int MountIndex(const config::ServerConfig& cfg, const std::string& mountpoint) {
  std::string want = Canonical(mountpoint);
  for (size_t i = 0; i < cfg.mounts.size(); ++i) {
    if (Canonical(cfg.mounts[i].mountpoint) == want) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace subhost::process

// The subhost command: flags and ini files as uWSGI and gunicorn users know
// them, an Engine with the mounts, and a Server on the listeners.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <thread>

#include "engine/config/server_config.h"
#include "engine/log.h"
#include "subhost/engine.h"
#include "subhost/server.h"

namespace {

using subhost::config::ServerConfig;

int Serve(const ServerConfig& cfg) {
  subhost::Logger log;
  for (const std::string& note : cfg.notes) log.Info(note);
  // Thousands of idle keep-alive connections need descriptors: take the
  // hard limit, as servers do.
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (cfg.processes > 1 || cfg.master) {
    log.Warning("--processes/--master: this build serves from one process; "
                "the value is ignored");
  }

  // The C++ side owns these signals: block them in every thread, and take
  // them in one place.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGQUIT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  subhost::Options options;
  options.python_path = cfg.pythonpath;
  options.virtualenv = cfg.home;
  options.chdir = cfg.chdir;
  options.env = cfg.env;
  options.default_callable = cfg.callable;
  options.single_interpreter = cfg.single_interpreter;
  options.own_gil = cfg.own_gil;
  options.multithread = cfg.threads > 1;
  std::unique_ptr<subhost::Engine> engine;
  try {
    engine = subhost::Engine::Create(options);
  } catch (const std::exception& e) {
    log.Error(std::string("subhost: ") + e.what());
    return 1;
  }
  log.Info("subhost " + std::string(SUBHOST_VERSION) + " on CPython " +
           subhost::PythonVersion() + ", pid " + std::to_string(getpid()));
  if (!cfg.single_interpreter && cfg.mounts.size() > 1) {
    log.Info("*** subhost is running in multiple interpreter mode ***");
  }
  int loaded = 0;
  for (const auto& m : cfg.mounts) {
    subhost::MountOptions mo;
    for (const std::string& mp : cfg.main_interpreter_mounts) {
      if (mp == m.mountpoint) mo.main_interpreter = true;
    }
    subhost::Status s = engine->Mount(m.mountpoint, m.target, mo);
    if (s.ok()) {
      ++loaded;
    } else {
      log.Error(s.message());
    }
  }
  if (loaded == 0) {
    log.Error(cfg.need_app ? "no app could be loaded (--need-app): exiting"
                           : "no app could be loaded: exiting");
    return cfg.need_app ? 22 : 1;
  }
  if (cfg.need_app && loaded != static_cast<int>(cfg.mounts.size())) {
    log.Error("--need-app: a mount failed to load: exiting");
    return 22;
  }

  subhost::ServerOptions so;
  for (const auto& l : cfg.listeners) {
    subhost::ServerOptions::Listen listen;
    listen.protocol = l.proto == subhost::config::ListenSpec::Proto::kHttp
                          ? subhost::ServerOptions::Listen::Protocol::kHttp
                          : subhost::ServerOptions::Listen::Protocol::kUwsgi;
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
  std::unique_ptr<subhost::Server> server;
  try {
    server = subhost::Server::Create(*engine, so);
  } catch (const std::exception& e) {
    log.Error(std::string("subhost: ") + e.what());
    return 1;
  }
  for (const std::string& l : server->Listening()) {
    log.Info("listening on " + l + " (" + std::to_string(cfg.threads) +
             " threads)");
  }

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log.Info(std::string("caught ") + strsignal(sig) +
             ": finishing requests in flight, then exiting");
    server->Stop();
  });
  server->Run();  // returns once the signal thread has stopped it
  signal_thread.join();
  server.reset();
  engine.reset();
  log.Info("subhost: bye");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ServerConfig cfg;
  bool help = false, version = false;
  std::string error;
  if (!subhost::config::ParseCommandLine(argc, argv, &cfg, &help, &version,
                                         &error)) {
    std::fprintf(stderr, "subhost: %s (see --help)\n", error.c_str());
    return 2;
  }
  if (help) {
    std::fputs(subhost::config::HelpText().c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("subhost %s (CPython %s)\n", SUBHOST_VERSION,
                subhost::PythonVersion().c_str());
    return 0;
  }
  if (!subhost::config::Validate(cfg, &error)) {
    std::fprintf(stderr, "subhost: %s (see --help)\n", error.c_str());
    return 2;
  }
  return Serve(cfg);
}

// The listener behind --stats, --stats-http and --metrics. It serves on its
// own threads, so the master's loop never waits on a scraper: a Poco
// acceptor queues connections for a bounded pool, every read and write has
// a timeout, and all of them are named after the listener ("stats",
// "stats-http", "metrics") in `top -H`.
//
// --stats keeps uWSGI's stats socket: on connect, the JSON, then close.
// --stats-http and --metrics are Poco::Net::HTTPServer endpoints answering
// any path with an HTTP/1.0 response (stats JSON as application/json,
// Prometheus text as text/plain; version=0.0.4), headers only for HEAD.
//
// Thread contract: construct, Start() and destroy on one thread (the
// master's). render is called from the server's pool threads, several at
// once, and must be safe for that (StatsSource is). The accessors are safe
// anywhere.
#ifndef SUBHOST_ENGINE_STATS_STATS_SERVER_H_
#define SUBHOST_ENGINE_STATS_STATS_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace subhost::stats {

class StatsServer {
 public:
  enum class Mode {
    kRaw,      // --stats: the JSON, then close (uWSGI's stats socket)
    kHttp,     // --stats-http: an HTTP/1.0 response with the JSON
    kMetrics,  // --metrics: an HTTP/1.0 response, Prometheus text
  };

  // How much a crowd of scrapers, or clients that never send, may take.
  struct Limits {
    // Connections served at once; a silent HTTP client holds one for at
    // most `timeout`.
    int max_threads = 8;
    // Accepted connections waiting for a thread; more are closed at once.
    int max_queued = 1024;
    // Listen backlog: connections the kernel holds before accept.
    int backlog = 1024;
    // Reading the request head, and writing the response.
    std::chrono::milliseconds timeout{2000};
  };

  using Render = std::function<std::string()>;

  // Binds address ("127.0.0.1:9191", ":9191", "[::1]:9191", a unix path;
  // port 0 picks a free port); connections wait in the backlog until
  // Start(). Throws std::runtime_error naming the address when it cannot be
  // parsed or bound.
  StatsServer(const std::string& address, Mode mode, Render render,
              Limits limits);
  StatsServer(const std::string& address, Mode mode, Render render)
      : StatsServer(address, mode, std::move(render), Limits{}) {}
  // Starts the threads and serves; later calls do nothing. A process that
  // forks should bind first and start after its first forks: a child
  // forked while a server thread holds a lock inside the allocator (ASan's
  // has no fork handler) can deadlock on it.
  void Start();
  // Stops accepting, drops connections in progress, joins the threads and
  // (in the process that bound it) removes a unix socket file.
  ~StatsServer();
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  // The listening descriptor, owned by the server: for the start-up log.
  int fd() const;
  // In a child forked from the process that owns this server: closes the
  // child's copy of the listening descriptor. The child leaves with _exit,
  // so no destructor would; the descriptor is still closed only here.
  void CloseInForkedChild();
  // The bound address: "127.0.0.1:43121", "[::1]:9191" or the unix path.
  const std::string& name() const { return name_; }
  Mode mode() const { return mode_; }

 private:
  class Impl;

  Mode mode_;
  std::string name_;
  std::string unix_path_;  // removed on destruction, by the binding process
  pid_t owner_pid_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_SERVER_H_

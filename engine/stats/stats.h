// The stats and metrics servers: what the master publishes about itself and
// its workers, read from the scoreboard.
//
// StatsContext (stats_context.h) is what the master knows beyond the
// scoreboard; RenderStatsJson (stats_json.h) writes uWSGI's stats document
// and RenderMetrics (prometheus.h) Prometheus' text. StatsServer is the
// listening socket behind --stats / --stats-http / --metrics: the master
// polls fd() and calls Serve() when it is readable.
//
// Thread contract: the render functions read the scoreboard with relaxed
// loads and may run while workers update it. RenderStatsJson also writes the
// master's delta_requests bookkeeping, so call it from one thread (the
// master's). A StatsServer belongs to the thread that calls Serve().
#ifndef SUBHOST_ENGINE_STATS_STATS_H_
#define SUBHOST_ENGINE_STATS_STATS_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "engine/stats/listen_queue.h"
#include "engine/stats/prometheus.h"
#include "engine/stats/stats_context.h"
#include "engine/stats/stats_json.h"

namespace subhost::stats {

class StatsServer {
 public:
  enum class Mode {
    kRaw,      // --stats: the JSON, then close (uWSGI's stats socket)
    kHttp,     // --stats-http: an HTTP/1.0 response with the JSON
    kMetrics,  // --metrics: an HTTP/1.0 response, Prometheus text
  };

  // Binds address ("127.0.0.1:9191", ":9191", "[::1]:9191", a unix path;
  // port 0 picks a free port). Throws std::runtime_error naming the address
  // when it cannot be parsed or bound.
  StatsServer(const std::string& address, Mode mode);
  ~StatsServer();
  StatsServer(const StatsServer&) = delete;
  StatsServer& operator=(const StatsServer&) = delete;

  // The listening socket (non-blocking, close-on-exec), for the master's
  // poll set.
  int fd() const { return fd_; }
  // The bound address: "127.0.0.1:43121", "[::1]:9191" or the unix path.
  std::string name() const { return name_; }
  Mode mode() const { return mode_; }

  // Call when fd() is readable: accepts the pending connections and sends
  // each a freshly rendered document, then closes it. Bounded in time: each
  // connection gets at most about a second, and once a second has passed
  // further connections are left queued for the next call (fd() stays
  // readable), so a stalled client cannot hold the master.
  void Serve(const std::function<std::string()>& render);

 private:
  void ServeOne(int conn, const std::function<std::string()>& render,
                long long deadline_ms);

  int fd_ = -1;
  Mode mode_;
  std::string name_;
  std::string unix_path_;  // unlinked on destruction, by the binding process
  pid_t owner_pid_ = 0;
};

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_H_

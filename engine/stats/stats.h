// The stats and metrics servers: what the master publishes about itself and
// its workers, read from the scoreboard.
//
// RenderStatsJson produces uWSGI's stats document (the shape uwsgitop and
// other uWSGI tools read; see COMPAT.md, "Stats server"). RenderMetrics
// produces the same facts in Prometheus' text exposition format 0.0.4.
// StatsServer is the listening socket behind --stats / --stats-http /
// --metrics: the master polls fd() and calls Serve() when it is readable.
//
// Thread contract: the render functions read the scoreboard with relaxed
// loads and may run while workers update it. RenderStatsJson also writes the
// master's delta_requests bookkeeping, so call it from one thread (the
// master's). A StatsServer belongs to the thread that calls Serve().
#ifndef SUBHOST_ENGINE_STATS_STATS_H_
#define SUBHOST_ENGINE_STATS_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/process/scoreboard.h"

namespace subhost::stats {

// What the master knows beyond the scoreboard.
struct StatsContext {
  struct Socket {
    std::string name;   // "127.0.0.1:9090" or "/run/s.sock"
    std::string proto;  // "http" or "uwsgi"
    int fd = -1;        // the listening socket; its accept queue is read
  };
  struct Mount {
    std::string mountpoint;  // "" for the root mount, as uWSGI writes it
    std::string chdir;
  };

  std::string version;
  pid_t pid = 0;  // the master's
  uid_t uid = 0;
  gid_t gid = 0;
  std::string cwd;
  int max_queue = 100;  // listen backlog, reported for unix sockets
  std::vector<Socket> sockets;
  // In scoreboard app order: mounts[i] describes app slot i.
  std::vector<Mount> mounts;
  // Request threads per worker; cores beyond it are not reported. 0: all.
  int threads = 0;
  // Worker slots in use (slot i is worker i + 1); 0: all of the scoreboard.
  int workers = 0;
};

// uWSGI's stats JSON (compact, valid UTF-8). Lists live workers only
// (state != kFree) and, per worker, only the apps it has loaded. Updates
// each listed worker's delta_requests / requests_at_last_read, so
// delta_requests is the count since the previous render.
std::string RenderStatsJson(process::Scoreboard& board,
                            const StatsContext& context);

// Prometheus text format 0.0.4: per-mount request, exception and 5xx
// counters and latency histograms (summed over the slots in use), per-worker
// requests, busy, state, RSS and respawns, and master totals.
std::string RenderMetrics(process::Scoreboard& board,
                          const StatsContext& context);

// The accept-queue length and its limit of a listening socket: for TCP from
// TCP_INFO (tcpi_unacked, tcpi_sacked); for unix sockets and on failure the
// queue is 0 and the limit is fallback_max.
struct ListenQueue {
  std::uint64_t queue = 0;
  std::uint64_t max_queue = 0;
};
ListenQueue ReadListenQueue(int fd, int fallback_max);

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

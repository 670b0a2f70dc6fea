// What the master knows beyond the scoreboard, as the stats renderers need
// it: its identity, its listening sockets and its mounts.
//
// Thread contract: a plain value; copy it to hand it to another thread.
#ifndef SUBHOST_ENGINE_STATS_STATS_CONTEXT_H_
#define SUBHOST_ENGINE_STATS_STATS_CONTEXT_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace subhost::stats {

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

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_STATS_CONTEXT_H_

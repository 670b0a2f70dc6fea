// The accept queue of a listening socket, as uWSGI's stats report it.
//
// Thread contract: a plain function, safe from any thread.
#ifndef SUBHOST_ENGINE_STATS_LISTEN_QUEUE_H_
#define SUBHOST_ENGINE_STATS_LISTEN_QUEUE_H_

#include <cstdint>

namespace subhost::stats {

// The accept-queue length and its limit of a listening socket: for TCP from
// TCP_INFO (tcpi_unacked, tcpi_sacked); for unix sockets and on failure the
// queue is 0 and the limit is fallback_max.
struct ListenQueue {
  std::uint64_t queue = 0;
  std::uint64_t max_queue = 0;
};
ListenQueue ReadListenQueue(int fd, int fallback_max);

}  // namespace subhost::stats

#endif  // SUBHOST_ENGINE_STATS_LISTEN_QUEUE_H_

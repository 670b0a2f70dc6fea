#include "engine/stats/listen_queue.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace subhost::stats {

ListenQueue ReadListenQueue(int fd, int fallback_max) {
  ListenQueue q;
  q.max_queue = static_cast<std::uint64_t>(std::max(fallback_max, 0));
  sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (fd < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
    return q;
  }
  // On a listening socket Linux reports the accept backlog in these two
  // fields (the current queue and its limit).
  tcp_info info = {};
  socklen_t info_len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0 &&
      info.tcpi_state == TCP_LISTEN) {
    q.queue = info.tcpi_unacked;
    q.max_queue = info.tcpi_sacked;
  }
  return q;
}

}  // namespace subhost::stats

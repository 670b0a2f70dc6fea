#include "engine/server/write_all.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "subhost/request.h"

namespace subhost::server {

bool WaitWritable(int fd, int timeout_ms) {
  WaitScope unlocked;  // writes run with the GIL held; waits must not
  pollfd p = {fd, POLLOUT, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool WriteAll(int fd, Target target, iovec* iov, int count, int timeout_ms) {
  while (count > 0) {
    ssize_t n;
    if (target == Target::kSocket) {
      msghdr msg = {};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(count);
      n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    } else {
      n = ::writev(fd, iov, count);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && target == Target::kSocket &&
          WaitWritable(fd, timeout_ms)) {
        continue;
      }
      return false;
    }
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

}  // namespace subhost::server

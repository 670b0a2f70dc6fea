// The one write-all loop: every byte of an iovec array reaches a socket or a
// file, or the write fails. Partial writes and EINTR are retried; on a
// non-blocking socket, EAGAIN waits (GIL released) for it to drain.
//
// Thread contract: plain functions, safe from any thread.
#ifndef SUBHOST_ENGINE_SERVER_WRITE_ALL_H_
#define SUBHOST_ENGINE_SERVER_WRITE_ALL_H_

#include <sys/uio.h>

#include <cstddef>

namespace subhost::server {

// What is written to: a socket (sendmsg with MSG_NOSIGNAL, so a gone peer
// is an error and not a SIGPIPE) or a file (writev).
enum class Target { kSocket, kFile };

// Consumes iov as it goes. timeout_ms bounds each wait for a full socket
// to drain; false when the peer is gone or stalled, or the file failed.
bool WriteAll(int fd, Target target, iovec* iov, int count, int timeout_ms);

// Waits up to timeout_ms for fd to take more bytes, the GIL released.
bool WaitWritable(int fd, int timeout_ms);

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_WRITE_ALL_H_

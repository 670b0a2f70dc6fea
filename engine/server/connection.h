// Connection: one client socket and everything known about the request it
// is sending. Owned by exactly one thread at a time: the thread that took its
// epoll event (busy), or the housekeeper that claims it to time it out. The
// dispatcher's registry owns the object itself (unique_ptr); the socket
// object owns the descriptor and is the one place that closes it.
#ifndef SUBHOST_ENGINE_SERVER_CONNECTION_H_
#define SUBHOST_ENGINE_SERVER_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <string>

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include "engine/net/http_parser.h"
#include "engine/net/uwsgi_parser.h"
#include "engine/server/body_spool.h"
#include "engine/server/listener.h"
#include "subhost/request.h"

namespace subhost::server {

// Where a connection is in its current request, for timeouts and logs.
enum class Phase { kIdle, kHead, kBody };

struct Connection : Pollable {
  // fd: accepted, non-blocking, close-on-exec. The socket object is made
  // here, so exactly one object holds it: Poco's Socket has no move, and a
  // copy left on the accepting thread would hold the last reference (and
  // close the descriptor) after the serving thread dropped its own.
  Connection(int fd, const Listener* listener, const net::HttpLimits& http,
             const net::UwsgiLimits& uwsgi)
      : Pollable(Type::kConnection),
        socket(new Poco::Net::StreamSocketImpl(fd)),
        fd(fd),
        listener(listener),
        http(http),
        uwsgi(uwsgi) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Poco::Net::StreamSocket socket;
  // The socket's descriptor, for epoll, recv, sendmsg and sendfile (see
  // dispatcher.cpp for why those stay system calls).
  const int fd;
  const Listener* listener;
  std::string peer_host;
  std::uint16_t peer_port = 0;

  // Received bytes not yet parsed are in[in_start, in.size()).
  std::string in;
  std::size_t in_start = 0;

  net::HttpRequestParser http;
  net::UwsgiRequestParser uwsgi;
  bool uwsgi_vars_done = false;
  std::int64_t uwsgi_body_left = 0;

  // The request being received. phase is written by the owning thread and
  // read by the housekeeper while it drains, without owning the connection:
  // hence atomic (relaxed: a stale phase only shifts a deadline by a tick).
  std::atomic<Phase> phase{Phase::kIdle};
  Request request;
  bool keep_alive = false;
  bool head_request = false;
  BodySpool spool;
  std::int64_t body_size = 0;

  std::int64_t head_deadline_ms = 0;
  std::atomic<std::int64_t> deadline_ms{0};  // 0: none
  std::atomic<bool> busy{false};
  std::atomic<bool> timed_out{false};

  Phase phase_now() const { return phase.load(std::memory_order_relaxed); }
  void set_phase(Phase p) { phase.store(p, std::memory_order_relaxed); }
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_CONNECTION_H_

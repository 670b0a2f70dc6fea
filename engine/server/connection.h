// Connection: one client socket and everything known about the request it
// is sending. Owned by exactly one thread at a time: the thread that took its
// epoll event (busy), or the housekeeper that claims it to time it out.
#ifndef SUBHOST_ENGINE_SERVER_CONNECTION_H_
#define SUBHOST_ENGINE_SERVER_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/net/http_parser.h"
#include "engine/net/uwsgi_parser.h"
#include "subhost/request.h"
#include "subhost/server.h"

namespace subhost::server {

using Protocol = ServerOptions::Listen::Protocol;

// What epoll hands back: a listener, a connection or the wake-up descriptor.
struct Pollable {
  enum class Type { kListener, kConnection, kWake };
  explicit Pollable(Type t) : type(t) {}
  Type type;
};

struct Listener : Pollable {
  Listener() : Pollable(Type::kListener) {}
  int fd = -1;
  Protocol protocol = Protocol::kHttp;
  std::string name;       // "127.0.0.1:43121" or the unix path
  std::string unix_path;  // for --vacuum
  std::string server_name;
  std::uint16_t server_port = 0;
};

// Where a connection is in its current request, for timeouts and logs.
enum class Phase { kIdle, kHead, kBody };

struct Connection : Pollable {
  Connection(int fd, const Listener* listener, const net::HttpLimits& http,
             const net::UwsgiLimits& uwsgi)
      : Pollable(Type::kConnection),
        fd(fd),
        listener(listener),
        http(http),
        uwsgi(uwsgi) {}
  ~Connection();

  int fd;
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

  // The request being received.
  Phase phase = Phase::kIdle;
  Request request;
  bool keep_alive = false;
  bool head_request = false;
  int spool_fd = -1;              // body spooled to an unlinked temp file
  std::int64_t body_size = 0;

  std::int64_t head_deadline_ms = 0;
  std::atomic<std::int64_t> deadline_ms{0};  // 0: none
  std::atomic<bool> busy{false};
  std::atomic<bool> timed_out{false};
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_CONNECTION_H_

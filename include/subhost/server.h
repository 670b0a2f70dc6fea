// subhost::Server: serves an Engine's mounts over HTTP/1.1 and the uwsgi
// protocol. A pool of threads shares one epoll set: a thread reads and parses
// whatever connection is ready, runs a complete request through the Engine
// and writes the response; idle keep-alive connections hold no thread, and a
// slow client never holds one while it dawdles.
//
// Thread contract: Create, Run and the destructor on one thread; Stop from any
// thread, including a request thread (not from a signal handler).
#ifndef SUBHOST_SERVER_H_
#define SUBHOST_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "subhost/engine.h"
#include "subhost/options.h"

namespace subhost {

// Hooks into the request path, e.g. for a scoreboard or metrics. Called on
// the thread that runs the request; thread is its index in 0..threads-1.
// Must be cheap and must not throw.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void RequestStarted(int thread, const Request& request) = 0;
  virtual void RequestFinished(int thread, const Request& request,
                               const RequestOutcome& outcome,
                               std::uint64_t bytes_sent, double ms) = 0;
};

struct ServerOptions {
  struct Listen {
    enum class Protocol { kHttp, kUwsgi };
    Protocol protocol = Protocol::kHttp;
    std::string address;  // ":9090", "127.0.0.1:0", "[::1]:9090", "/run/s.sock"
    // An already listening socket to serve instead of binding address (a
    // worker serving what its master bound). The server closes its copy.
    int fd = -1;
  };
  std::vector<Listen> listeners;
  int threads = 1;                       // threads running requests
  int listen_backlog = 100;
  std::size_t buffer_size = 4096;        // request head / uwsgi vars limit
  std::int64_t limit_post = 0;           // max request body; 0 = no limit
  std::int64_t post_buffering = 65536;   // bodies above this spool to a file
  int socket_timeout_s = 4;              // stalled reads, writes and idle keep-alive
  bool log_requests = true;
  std::string unix_socket_mode;          // octal, e.g. "666"
  bool vacuum = false;                   // remove unix socket files at exit
  LogSink log;                           // empty: stderr
  // Other processes accept on the same listening sockets: each new
  // connection wakes one idle process instead of all of them.
  bool shared_accept = false;
  // Told when each request starts and ends; called on the request thread.
  RequestObserver* observer = nullptr;
};

class Server {
 public:
  // Binds every listener; throws std::runtime_error naming the address that
  // failed. The engine must outlive the server.
  static std::unique_ptr<Server> Create(Engine& engine,
                                        const ServerOptions& options);
  virtual ~Server() = default;

  // "http 127.0.0.1:43121" per listener, ports resolved.
  virtual std::vector<std::string> Listening() const = 0;
  // Serves until Stop, then drains: accepts no more connections, answers
  // each request already arriving with "Connection: close", closes
  // connections that stay idle for a second, and returns once no
  // connection is left.
  virtual void Run() = 0;
  virtual void Stop() = 0;

 protected:
  Server() = default;
};

}  // namespace subhost

#endif  // SUBHOST_SERVER_H_

// Dispatcher: the event loop. One epoll set holds the listeners and every
// idle connection; --threads request threads wait on it, each taking one
// event at a time (EPOLLONESHOT), so a connection is served by one thread
// until it is rearmed. A housekeeper thread times out stalled connections
// and, on Stop, drains: no more accepts, idle connections closed after a
// second, Run returns once none is left.
//
// Thread contract: Run from one thread; Stop from any thread (a signal
// watcher, the observer's --max-requests hook).
#ifndef SUBHOST_ENGINE_SERVER_DISPATCHER_H_
#define SUBHOST_ENGINE_SERVER_DISPATCHER_H_

#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

#include <Poco/Event.h>
#include <Poco/Mutex.h>

#include "engine/log.h"
#include "engine/server/connection.h"
#include "engine/server/exchange.h"
#include "engine/server/listener.h"

namespace subhost::server {

class Dispatcher {
 public:
  // Throws std::runtime_error when epoll cannot be set up. listeners and
  // the other references must outlive the dispatcher.
  Dispatcher(Engine& engine, const ServerOptions& options, const Logger& log,
             const std::vector<std::unique_ptr<Listener>>& listeners);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Run();
  void Stop();

 private:
  void RequestThread(int index);
  void Housekeep();
  void Drain();
  void Arm(Pollable* p, int fd, int op);
  void Accept(Listener* l);
  void Serve(Connection* c, int thread);
  void Close(Connection* c, bool timed_out);
  void Sweep();
  void Wake();

  const ServerOptions& options_;
  const Logger& log_;
  const std::vector<std::unique_ptr<Listener>>& listeners_;
  net::HttpLimits http_limits_;
  net::UwsgiLimits uwsgi_limits_;
  std::atomic<bool> draining_{false};
  Exchange exchange_;
  int timeout_ms_;

  // epoll and eventfd descriptors: not sockets, and Poco has no owner type
  // for them (see dispatcher.cpp); closed in the destructor.
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Pollable wake_marker_{Pollable::Type::kWake};

  Poco::Event stop_requested_{false};  // manual reset: stays set
  std::atomic<bool> stopping_{false};  // Stop was called
  std::atomic<bool> exit_{false};      // request threads return
  std::atomic<int> accepting_{0};      // threads inside Accept

  Poco::FastMutex registry_mu_;
  // Every open connection; guarded by registry_mu_. The map owns them; the
  // epoll set and the thread serving one hold plain pointers.
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_DISPATCHER_H_

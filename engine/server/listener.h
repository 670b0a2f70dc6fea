// Listener: one listening socket the server accepts on, and the names a
// request sees for it (SERVER_NAME, SERVER_PORT, the log's address).
//
// Thread contract: made before the request threads start, then read-only.
#ifndef SUBHOST_ENGINE_SERVER_LISTENER_H_
#define SUBHOST_ENGINE_SERVER_LISTENER_H_

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Net/ServerSocket.h>

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
  // Binds spec.address, or adopts spec.fd when it is given (the listener
  // then closes that descriptor). Throws std::runtime_error.
  static std::unique_ptr<Listener> Open(const ServerOptions::Listen& spec,
                                        const ServerOptions& options);
  ~Listener();

  Poco::Net::ServerSocket socket;
  int fd = -1;  // socket's descriptor, for epoll and accept4
  Protocol protocol = Protocol::kHttp;
  std::string name;       // "127.0.0.1:43121" or the unix path
  std::string unix_path;  // bound here: removed at exit with --vacuum
  bool vacuum = false;
  std::string server_name;
  std::uint16_t server_port = 0;

 private:
  Listener() : Pollable(Type::kListener) {}
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_LISTENER_H_

#include "engine/server/listener.h"

#include <unistd.h>

#include <stdexcept>

#include "engine/net/address.h"
#include "engine/text.h"

namespace subhost::server {

std::unique_ptr<Listener> Listener::Open(const ServerOptions::Listen& spec,
                                         const ServerOptions& options) {
  net::Address address;
  std::string error;
  if (!net::ParseAddress(spec.address, &address, &error)) {
    throw std::runtime_error(error);
  }
  std::unique_ptr<Listener> l(new Listener());
  if (spec.fd >= 0) {
    l->socket = net::AdoptListener(spec.fd);
  } else {
    net::BindOptions bind;
    bind.backlog = options.listen_backlog;
    bind.unix_mode = options.unix_socket_mode;
    l->socket = net::Listen(address, bind);
  }
  l->fd = l->socket.impl()->sockfd();
  l->protocol = spec.protocol;
  l->name = net::LocalName(l->fd);
  if (address.kind == net::Address::Kind::kUnix) {
    // Whoever bound the socket removes its file (--vacuum).
    if (spec.fd < 0) l->unix_path = address.path;
    l->vacuum = options.vacuum;
    l->server_name = "localhost";
  } else {
    l->server_name = address.host.empty() ? "localhost" : address.host;
    std::string_view name = l->name;
    l->server_port = text::ParseNumber<std::uint16_t>(
                         name.substr(name.rfind(':') + 1))
                         .value_or(0);
  }
  return l;
}

Listener::~Listener() {
  if (vacuum && !unix_path.empty()) ::unlink(unix_path.c_str());
}

}  // namespace subhost::server

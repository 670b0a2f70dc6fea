// Listening addresses as uWSGI and gunicorn users write them, and binding
// them: ":9090" (all interfaces), "127.0.0.1:9090", "[::1]:9090",
// "localhost:9090", "unix:/run/app.sock" or a path ("/run/app.sock").
// Binding yields a Poco::Net::ServerSocket: the socket object is the one
// owner of the descriptor and the one place that closes it.
//
// Thread contract: plain functions, safe from any thread.
#ifndef SUBHOST_ENGINE_NET_ADDRESS_H_
#define SUBHOST_ENGINE_NET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

namespace subhost::net {

struct Address {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // "" means all interfaces; IPv6 without brackets
  std::uint16_t port = 0;
  std::string path;  // kUnix
};

// False with a one-line *error for anything else.
bool ParseAddress(const std::string& text, Address* out, std::string* error);

// The address to bind or connect to: a unix-domain address, or host and
// port resolved (a name resolves to its first IPv4 address, as uWSGI does;
// "" is 0.0.0.0). Throws std::runtime_error "cannot resolve 'HOST': ...".
Poco::Net::SocketAddress ToSocketAddress(const Address& address);

struct BindOptions {
  int backlog = 100;
  // Octal mode for a unix socket ("666"); empty leaves the umask's.
  std::string unix_mode;
};

// A listening, non-blocking, close-on-exec socket. Throws
// std::runtime_error ("cannot bind 127.0.0.1:80: Permission denied"). A
// stale unix socket file is replaced.
Poco::Net::ServerSocket Listen(const Address& address,
                               const BindOptions& options);

// Takes ownership of a descriptor that is already listening (one a master
// bound, or one inherited across exec): the returned socket closes it.
Poco::Net::ServerSocket AdoptListener(int fd);

// For callers that keep a bare descriptor: a duplicate (close-on-exec) of a
// freshly bound listener, or -1 and *error. The caller owns and closes it.
int BindListener(const Address& address, const BindOptions& options,
                 std::string* error);

// "127.0.0.1:43121", "[::1]:8080" or the unix path.
std::string AddressText(const Poco::Net::SocketAddress& address);
// The same for a bound socket's descriptor ("?" if it has none).
std::string LocalName(int fd);
// The peer of an accepted socket: address text and port (0 for unix).
void PeerName(const sockaddr_storage& peer, std::string* host,
              std::uint16_t* port);

}  // namespace subhost::net

#endif  // SUBHOST_ENGINE_NET_ADDRESS_H_

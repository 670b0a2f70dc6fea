// Listening addresses as uWSGI and gunicorn users write them, and binding
// them: ":9090" (all interfaces), "127.0.0.1:9090", "[::1]:9090",
// "localhost:9090", "unix:/run/app.sock" or a path ("/run/app.sock").
//
// Thread contract: plain functions, safe from any thread.
#ifndef SUBHOST_ENGINE_NET_ADDRESS_H_
#define SUBHOST_ENGINE_NET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

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

struct BindOptions {
  int backlog = 100;
  // Octal mode for a unix socket ("666"); empty leaves the umask's.
  std::string unix_mode;
};

// A listening, non-blocking, close-on-exec socket; -1 and *error on failure
// ("cannot bind 127.0.0.1:80: Permission denied"). A stale unix socket file
// is replaced.
int BindListener(const Address& address, const BindOptions& options,
                 std::string* error);

// "127.0.0.1:43121", "[::1]:8080" or the unix path, of a bound socket.
std::string LocalName(int fd);
// The peer of an accepted socket: address text and port (0 for unix).
void PeerName(const sockaddr_storage& peer, std::string* host,
              std::uint16_t* port);

}  // namespace subhost::net

#endif  // SUBHOST_ENGINE_NET_ADDRESS_H_

#include "engine/net/address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <fmt/format.h>

#include "engine/text.h"

namespace subhost::net {

namespace {

// A ServerSocketImpl around a descriptor that is already bound and
// listening. Poco has no public way to adopt one; reset() is how its own
// accept path hands a descriptor to a socket object.
class AdoptedListenerImpl : public Poco::Net::ServerSocketImpl {
 public:
  explicit AdoptedListenerImpl(int fd) { reset(fd); }
};

class AdoptedServerSocket : public Poco::Net::ServerSocket {
 public:
  explicit AdoptedServerSocket(int fd)
      : Poco::Net::ServerSocket(new AdoptedListenerImpl(fd), true) {}
};

// The reason a Poco socket call failed, as strerror words it.
std::string Reason(const Poco::Exception& e) {
  if (e.code() > 0) return std::strerror(e.code());
  return e.message().empty() ? e.displayText() : e.message();
}

}  // namespace

bool ParseAddress(const std::string& text, Address* out, std::string* error) {
  Address a;
  if (text.rfind("unix:", 0) == 0 || text.find('/') != std::string::npos) {
    a.kind = Address::Kind::kUnix;
    a.path = text.rfind("unix:", 0) == 0 ? text.substr(5) : text;
    if (a.path.empty() || a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      *error = fmt::format("bad unix socket path '{}'", a.path);
      return false;
    }
    *out = a;
    return true;
  }
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      *error = fmt::format("bad address '{}' (IPv6 is written [::1]:9090)", text);
      return false;
    }
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      *error = fmt::format(
          "bad address '{}' (want HOST:PORT, :PORT or a path)", text);
      return false;
    }
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (a.host == "0.0.0.0" || a.host == "*") a.host.clear();
  }
  std::optional<std::uint16_t> number = text::ParseNumber<std::uint16_t>(port);
  if (!number) {
    *error = fmt::format("bad port in address '{}'", text);
    return false;
  }
  a.port = *number;
  *out = a;
  return true;
}

Poco::Net::SocketAddress ToSocketAddress(const Address& address) {
  using Poco::Net::SocketAddress;
  if (address.kind == Address::Kind::kUnix) {
    return SocketAddress(SocketAddress::UNIX_LOCAL, address.path);
  }
  // With no host, IPv4's 0.0.0.0 (what ":9090" means in uWSGI).
  const std::string host = address.host.empty() ? "0.0.0.0" : address.host;
  try {
    return SocketAddress(host, address.port);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(
        fmt::format("cannot resolve '{}': {}", address.host, e.displayText()));
  }
}

Poco::Net::ServerSocket Listen(const Address& address,
                               const BindOptions& options) {
  const bool is_unix = address.kind == Address::Kind::kUnix;
  const std::string shown =
      is_unix ? address.path : fmt::format("{}:{}", address.host, address.port);
  Poco::Net::SocketAddress where = ToSocketAddress(address);
  if (is_unix) {
    struct stat st;
    if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(address.path.c_str());
    }
  }
  Poco::Net::ServerSocket socket;
  try {
    // SO_REUSEADDR for TCP (a restart must not wait out TIME_WAIT), never
    // SO_REUSEPORT: a second server on the same port must fail to bind.
    socket.bind(where, !is_unix, false);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(
        fmt::format("cannot bind {}: {}", shown, Reason(e)));
  }
  if (is_unix && !options.unix_mode.empty()) {
    const std::string& text = options.unix_mode;
    unsigned mode = 0;
    auto parsed = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
      throw std::runtime_error(fmt::format("bad socket mode '{}'", text));
    }
    if (::chmod(address.path.c_str(), static_cast<mode_t>(mode)) != 0) {
      throw std::runtime_error(fmt::format("cannot chmod {}: {}", address.path,
                                           std::strerror(errno)));
    }
  }
  try {
    socket.listen(options.backlog);
    socket.setBlocking(false);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(fmt::format("listen on {}: {}", shown, Reason(e)));
  }
  // Poco opens sockets without O_CLOEXEC; a listener crosses exec only when
  // the master hands it over on purpose (and clears the flag then).
  ::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
  return socket;
}

Poco::Net::ServerSocket AdoptListener(int fd) { return AdoptedServerSocket(fd); }

int BindListener(const Address& address, const BindOptions& options,
                 std::string* error) {
  try {
    Poco::Net::ServerSocket socket = Listen(address, options);
    int fd = ::fcntl(socket.impl()->sockfd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) *error = fmt::format("dup: {}", std::strerror(errno));
    return fd;
  } catch (const std::exception& e) {
    *error = e.what();
    return -1;
  }
}

std::string AddressText(const Poco::Net::SocketAddress& address) {
  // SocketAddress::toString() brackets IPv6 and gives the path for unix.
  return address.toString();
}

std::string LocalName(int fd) {
  sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "?";
  }
  try {
    return AddressText(
        Poco::Net::SocketAddress(reinterpret_cast<const sockaddr*>(&ss), len));
  } catch (const Poco::Exception&) {
    return "?";
  }
}

void PeerName(const sockaddr_storage& peer, std::string* host,
              std::uint16_t* port) {
  // Once per accepted connection: inet_ntop into the stack, no
  // SocketAddress (which allocates its implementation).
  char buf[INET6_ADDRSTRLEN] = "unix";
  *port = 0;
  if (peer.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
    ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    *port = ntohs(in->sin_port);
  } else if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    *port = ntohs(in6->sin6_port);
  }
  host->assign(buf);
}

}  // namespace subhost::net

#include "engine/net/address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace subhost::net {

namespace {

bool ParsePort(const std::string& s, std::uint16_t* port) {
  unsigned value = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() ||
      value > 65535) {
    return false;
  }
  *port = static_cast<std::uint16_t>(value);
  return true;
}

std::string Errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

bool ParseAddress(const std::string& text, Address* out, std::string* error) {
  Address a;
  if (text.rfind("unix:", 0) == 0 || text.find('/') != std::string::npos) {
    a.kind = Address::Kind::kUnix;
    a.path = text.rfind("unix:", 0) == 0 ? text.substr(5) : text;
    if (a.path.empty() || a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      *error = "bad unix socket path '" + a.path + "'";
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
      *error = "bad address '" + text + "' (IPv6 is written [::1]:9090)";
      return false;
    }
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
      *error = "bad address '" + text + "' (want HOST:PORT, :PORT or a path)";
      return false;
    }
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (a.host == "0.0.0.0" || a.host == "*") a.host.clear();
  }
  if (!ParsePort(port, &a.port)) {
    *error = "bad port in address '" + text + "'";
    return false;
  }
  *out = a;
  return true;
}

int BindListener(const Address& address, const BindOptions& options,
                 std::string* error) {
  int fd = -1;
  if (address.kind == Address::Kind::kUnix) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      *error = Errno("socket");
      return -1;
    }
    sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address.path.c_str(), address.path.size() + 1);
    struct stat st;
    if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      ::unlink(address.path.c_str());
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
      *error = Errno("cannot bind " + address.path);
      ::close(fd);
      return -1;
    }
    if (!options.unix_mode.empty()) {
      mode_t mode = static_cast<mode_t>(
          std::strtoul(options.unix_mode.c_str(), nullptr, 8));
      if (::chmod(address.path.c_str(), mode) != 0) {
        *error = Errno("cannot chmod " + address.path);
        ::close(fd);
        return -1;
      }
    }
  } else {
    addrinfo hints = {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port = std::to_string(address.port);
    const char* host = address.host.empty() ? nullptr : address.host.c_str();
    int rc = ::getaddrinfo(host, port.c_str(), &hints, &res);
    if (rc != 0) {
      *error = "cannot resolve '" + address.host + "': " + gai_strerror(rc);
      return -1;
    }
    std::string last = "no usable address";
    // With no host, prefer IPv4's 0.0.0.0 (what ":9090" means in uWSGI).
    for (int pass = 0; pass < 2 && fd < 0; ++pass) {
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (host == nullptr && (pass == 0) != (ai->ai_family == AF_INET)) {
          continue;
        }
        int s = ::socket(ai->ai_family,
                         ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0) {
          last = Errno("socket");
          continue;
        }
        int one = 1;
        ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(s, ai->ai_addr, ai->ai_addrlen) != 0) {
          last = Errno("cannot bind " + address.host + ":" + port);
          ::close(s);
          continue;
        }
        fd = s;
        break;
      }
    }
    ::freeaddrinfo(res);
    if (fd < 0) {
      *error = last;
      return -1;
    }
  }
  if (::listen(fd, options.backlog) != 0) {
    *error = Errno("listen");
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string LocalName(int fd) {
  sockaddr_storage ss = {};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "?";
  }
  if (ss.ss_family == AF_UNIX) {
    return reinterpret_cast<sockaddr_un*>(&ss)->sun_path;
  }
  std::string host;
  std::uint16_t port = 0;
  PeerName(ss, &host, &port);
  if (ss.ss_family == AF_INET6) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

void PeerName(const sockaddr_storage& peer, std::string* host,
              std::uint16_t* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  *port = 0;
  if (peer.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer);
    ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    *port = ntohs(in->sin_port);
  } else if (peer.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    *port = ntohs(in6->sin6_port);
  } else {
    std::strcpy(buf, "unix");
  }
  host->assign(buf);
}

}  // namespace subhost::net

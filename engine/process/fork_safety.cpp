#include "engine/process/fork_safety.h"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "engine/net/address.h"
#include "engine/text.h"

namespace subhost::process {

namespace {

std::string SocketPhrase(int fd) {
  int type = 0;
  socklen_t len = sizeof type;
  ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  int listening = 0;
  len = sizeof listening;
  ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
  if (listening != 0) {
    return fmt::format("listening socket on {}", net::LocalName(fd));
  }
  sockaddr_storage peer{};
  len = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) == 0) {
    std::string host;
    std::uint16_t port = 0;
    net::PeerName(peer, &host, &port);
    if (peer.ss_family == AF_UNIX) {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&peer);
      std::string path = len > sizeof(sa_family_t) ? un->sun_path : "";
      return fmt::format("unix socket connected to {}",
                         path.empty() ? "?" : path);
    }
    const char* kind = type == SOCK_DGRAM ? "datagram " : "";
    if (peer.ss_family == AF_INET6) {
      return fmt::format("{}socket connected to [{}]:{}", kind, host, port);
    }
    return fmt::format("{}socket connected to {}:{}", kind, host, port);
  }
  return type == SOCK_DGRAM ? "unconnected datagram socket"
                            : "unconnected socket";
}

std::string Describe(int fd) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return "descriptor";
  if (S_ISSOCK(st.st_mode)) return SocketPhrase(fd);
  if (S_ISFIFO(st.st_mode)) return "pipe";
  char target[PATH_MAX];
  std::string link = fmt::format("/proc/self/fd/{}", fd);
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  std::string path = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
  if (S_ISREG(st.st_mode)) return fmt::format("file {}", path);
  if (S_ISDIR(st.st_mode)) return fmt::format("directory {}", path);
  return path;  // "anon_inode:[eventfd]", "/dev/null"...
}

}  // namespace

std::set<int> OpenDescriptors() {
  std::set<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  int own = ::dirfd(dir);
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::optional<int> fd = text::ParseNumber<int>(e->d_name);
    if (fd && *fd != own) fds.insert(*fd);
  }
  ::closedir(dir);
  return fds;
}

std::vector<std::string> DescribeNewDescriptors(const std::set<int>& before,
                                                const std::set<int>& after) {
  std::vector<std::string> out;
  for (int fd : after) {
    if (before.count(fd) != 0) continue;
    out.push_back(fmt::format("{} (fd {})", Describe(fd), fd));
  }
  return out;
}

}  // namespace subhost::process

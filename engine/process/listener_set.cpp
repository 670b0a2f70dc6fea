#include "engine/process/listener_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/net/address.h"
#include "engine/text.h"

namespace subhost::process {

namespace {

constexpr char kInheritEnv[] = "SUBHOST_LISTEN_FDS";

// What a previous incarnation of this master left open for us, by address.
std::map<std::string, int> TakeInherited() {
  std::map<std::string, int> inherited;
  const char* env = std::getenv(kInheritEnv);
  if (env == nullptr) return inherited;
  std::string_view text = env;
  while (!text.empty()) {
    size_t end = text.find(';');
    std::string_view item = text.substr(0, end);
    size_t eq = item.rfind('=');
    if (eq != std::string_view::npos) {
      if (auto fd = text::ParseNumber<int>(item.substr(eq + 1))) {
        inherited[std::string(item.substr(0, eq))] = *fd;
      }
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  ::unsetenv(kInheritEnv);
  return inherited;
}

}  // namespace

bool ListenerSet::Open(const config::ServerConfig& cfg, const Logger& log) {
  std::map<std::string, int> inherited = TakeInherited();
  for (const auto& spec : cfg.listeners) {
    net::Address address;
    std::string error;
    if (!net::ParseAddress(spec.address, &address, &error)) {
      log.Error(fmt::format("subhost: {}", error));
      return false;
    }
    auto it = inherited.find(spec.address);
    if (it != inherited.end()) {
      // The descriptor crossed exec without FD_CLOEXEC: set it again.
      ::fcntl(it->second, F_SETFD, FD_CLOEXEC);
      sockets_.push_back(net::AdoptListener(it->second));
      inherited.erase(it);
    } else {
      net::BindOptions bind;
      bind.backlog = cfg.listen_backlog;
      bind.unix_mode = cfg.chmod_socket;
      try {
        sockets_.push_back(net::Listen(address, bind));
      } catch (const std::exception& e) {
        log.Error(fmt::format("subhost: {}", e.what()));
        return false;
      }
    }
    if (address.kind == net::Address::Kind::kUnix) {
      // Absolute: --chdir moves the process before --vacuum removes it.
      std::string path = address.path;
      char dir[PATH_MAX];
      if (!path.empty() && path[0] != '/' &&
          ::getcwd(dir, sizeof dir) != nullptr) {
        path = fmt::format("{}/{}", dir, path);
      }
      unix_paths_.push_back(path);
    }
    names_.push_back(net::LocalName(sockets_.back().impl()->sockfd()));
  }
  // Adopted only to be closed by their owner: no longer configured.
  for (const auto& [address, fd] : inherited) net::AdoptListener(fd);
  return true;
}

std::vector<int> ListenerSet::fds() const {
  std::vector<int> out;
  for (const auto& s : sockets_) out.push_back(s.impl()->sockfd());
  return out;
}

// Hand-over by descriptor number: exec keeps descriptors, not objects, so
// the listeners cross it as numbers in the environment, with FD_CLOEXEC
// cleared (Poco has no notion of either).
void ListenerSet::PrepareExec(const config::ServerConfig& cfg) {
  std::string inherit;
  for (size_t i = 0; i < sockets_.size(); ++i) {
    int fd = sockets_[i].impl()->sockfd();
    ::fcntl(fd, F_SETFD, 0);
    inherit += fmt::format("{}{}={}", inherit.empty() ? "" : ";",
                           cfg.listeners[i].address, fd);
  }
  ::setenv(kInheritEnv, inherit.c_str(), 1);
}

void ListenerSet::AbandonExec() {
  for (const auto& s : sockets_) ::fcntl(s.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
  ::unsetenv(kInheritEnv);
}

void ListenerSet::Close(bool vacuum) {
  sockets_.clear();
  if (vacuum) {
    for (const std::string& p : unix_paths_) ::unlink(p.c_str());
  }
}

}  // namespace subhost::process

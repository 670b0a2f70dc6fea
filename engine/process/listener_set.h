// ListenerSet: the master's listening sockets, and their hand-over across
// exec on a graceful reload. A re-executed master finds the descriptors in
// SUBHOST_LISTEN_FDS ("ADDRESS=FD;ADDRESS=FD", addresses as configured) and
// adopts those still configured instead of binding again, so no connection
// is refused while it reloads.
//
// Thread contract: the master's main thread only.
#ifndef SUBHOST_ENGINE_PROCESS_LISTENER_SET_H_
#define SUBHOST_ENGINE_PROCESS_LISTENER_SET_H_

#include <string>
#include <vector>

#include <Poco/Net/ServerSocket.h>

#include "engine/config/server_config.h"
#include "engine/log.h"

namespace subhost::process {

class ListenerSet {
 public:
  // Adopts the inherited listeners and binds the others, in cfg's order;
  // false after logging the address that failed. Inherited descriptors no
  // longer configured are closed.
  bool Open(const config::ServerConfig& cfg, const Logger& log);

  size_t size() const { return sockets_.size(); }
  // Descriptor numbers: what a forked worker's Server adopts, and what the
  // stats show.
  std::vector<int> fds() const;
  const std::string& name(size_t i) const { return names_[i]; }

  // Just before exec: lets the listeners survive it and names them in the
  // environment. The exec'd program then owns them.
  void PrepareExec(const config::ServerConfig& cfg);
  // exec failed: the listeners are this process's again.
  void AbandonExec();
  // Closes the listeners; with vacuum, removes the unix socket files bound
  // here.
  void Close(bool vacuum);

 private:
  std::vector<Poco::Net::ServerSocket> sockets_;
  std::vector<std::string> names_;
  std::vector<std::string> unix_paths_;  // bound here, absolute
};

}  // namespace subhost::process

#endif  // SUBHOST_ENGINE_PROCESS_LISTENER_SET_H_

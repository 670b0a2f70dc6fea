// Exchange: what happens on a connection between reads. Parses the bytes a
// connection has buffered (HTTP/1.x or uwsgi), spools large bodies, runs
// each complete request through the engine, writes the response and the
// access-log line, and answers bad input with an error page.
//
// Thread contract: Process is called by the thread that owns the
// connection; any number of threads call it at once for different
// connections. The object itself is read-only after construction.
#ifndef SUBHOST_ENGINE_SERVER_EXCHANGE_H_
#define SUBHOST_ENGINE_SERVER_EXCHANGE_H_

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "engine/log.h"
#include "engine/server/connection.h"
#include "subhost/engine.h"
#include "subhost/server.h"

namespace subhost::server {

class Exchange {
 public:
  // draining: set once the server stops; requests then get
  // "Connection: close". All references must outlive the object.
  Exchange(Engine& engine, const ServerOptions& options, const Logger& log,
           const std::atomic<bool>& draining);

  // Handles what c has buffered; thread is the request thread's index (for
  // the observer). False when the connection must close.
  bool Process(Connection* c, int thread);

  // "HTTP/1.1 408 ..." style error page; false (the connection closes).
  bool SendError(Connection* c, int status, std::string_view why);

  int timeout_ms() const { return timeout_ms_; }

 private:
  bool ProcessHttp(Connection* c, int thread);
  bool ProcessUwsgi(Connection* c, int thread);
  void StartRequestClock(Connection* c);
  bool StartSpool(Connection* c);
  bool AppendBody(Connection* c, std::string_view data);
  bool RunRequest(Connection* c, bool keep_alive, int thread);
  void LogRequest(const Connection* c, const RequestOutcome& o,
                  std::uint64_t bytes, double ms) const;

  Engine& engine_;
  const ServerOptions& options_;
  const Logger& log_;
  const std::atomic<bool>& draining_;
  int timeout_ms_;
  std::vector<std::string> mountpoints_;  // by mount id
};

// Milliseconds on the steady clock.
std::int64_t NowMs();

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_EXCHANGE_H_

#include "engine/stats/stats_server.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/TCPServerParams.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "engine/net/address.h"
#include "engine/stats/prometheus.h"

namespace subhost::stats {

namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;
using Poco::Net::StreamSocket;

// How long the server's dispatcher waits on a pool thread for the next
// connection before it hands the thread back to the pool. Short, because
// stopping a server can miss a dispatcher that is about to wait, and then
// waits this long for it.
const Poco::Timespan kThreadIdleTime(0, 200 * 1000);

// Pool threads are never retired (the pool keeps its minimum, which is its
// maximum) and need little stack: documents are built on the heap.
constexpr int kPoolIdleSeconds = 60;
constexpr int kThreadStackBytes = 1 << 20;

// Most a raw-mode client may have sent that is dropped before the answer.
constexpr int kMaxDiscard = 8192;

Poco::Timespan ToTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) *
                        1000);
}

const char* TagOf(StatsServer::Mode mode) {
  switch (mode) {
    case StatsServer::Mode::kRaw:
      return "stats";
    case StatsServer::Mode::kHttp:
      return "stats-http";
    case StatsServer::Mode::kMetrics:
      return "metrics";
  }
  return "stats";
}

// Threads take the name and the signal mask of the thread that creates
// them. The server's acceptor and its first pool thread are created while
// this is in scope, and every later pool thread by the acceptor, so all of
// them show as the tag in `top -H` and none takes SIGPIPE: a scraper that
// goes away is an error on its own connection, not a signal to the process.
class ServerThreadScope {
 public:
  explicit ServerThreadScope(const char* name) {
    have_name_ = ::pthread_getname_np(::pthread_self(), saved_name_.data(),
                                      saved_name_.size()) == 0;
    ::pthread_setname_np(::pthread_self(), name);
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, &saved_mask_);
  }
  ~ServerThreadScope() {
    ::pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
    if (have_name_) ::pthread_setname_np(::pthread_self(), saved_name_.data());
  }
  ServerThreadScope(const ServerThreadScope&) = delete;
  ServerThreadScope& operator=(const ServerThreadScope&) = delete;

 private:
  std::array<char, 16> saved_name_ = {};  // the kernel's limit, with the NUL
  bool have_name_ = false;
  sigset_t saved_mask_;
};

// --stats: uWSGI's stats socket writes the document and closes; it reads no
// request. A client may still have sent something (a curious curl): what
// has already arrived is dropped, so closing does not reset the connection
// under the answer.
class RawConnection : public Poco::Net::TCPServerConnection {
 public:
  RawConnection(const StreamSocket& socket, const StatsServer::Render& render,
                Poco::Timespan timeout)
      : TCPServerConnection(socket), render_(render), timeout_(timeout) {}

  void run() override {
    StreamSocket& s = socket();
    try {
      s.setSendTimeout(timeout_);
      char discard[2048];
      for (int total = 0; total < kMaxDiscard && s.available() > 0;) {
        int n = s.receiveBytes(discard, sizeof discard);
        if (n <= 0) break;
        total += n;
      }
      std::string document = render_();
      s.sendBytes(document.data(), static_cast<int>(document.size()),
                  MSG_NOSIGNAL);
      // FIN after the document, even if a worker forked meanwhile holds a
      // copy of this descriptor.
      s.shutdownSend();
    } catch (const Poco::Exception&) {
      // The client went away or was too slow: its connection alone ends.
    } catch (const std::exception&) {
    }
  }

 private:
  const StatsServer::Render& render_;
  Poco::Timespan timeout_;
};

class RawConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  RawConnectionFactory(const StatsServer::Render& render,
                       Poco::Timespan timeout)
      : render_(render), timeout_(timeout) {}

  Poco::Net::TCPServerConnection* createConnection(
      const StreamSocket& socket) override {
    return new RawConnection(socket, render_, timeout_);
  }

 private:
  const StatsServer::Render& render_;
  Poco::Timespan timeout_;
};

// --stats-http and --metrics: every path gets the document. The response is
// HTTP/1.0 with exactly Content-Type and Content-Length, as before the
// server moved onto Poco, and the connection ends after it.
class DocumentHandler : public Poco::Net::HTTPRequestHandler {
 public:
  DocumentHandler(const StatsServer::Render& render,
                  std::string_view content_type, Poco::Timespan timeout)
      : render_(render), content_type_(content_type), timeout_(timeout) {}

  void handleRequest(HTTPServerRequest& request,
                     HTTPServerResponse& response) override {
    StreamSocket& socket =
        static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket();
    // A client that stops reading holds its thread no longer than one that
    // never sent its request.
    socket.setSendTimeout(timeout_);
    std::string body;
    try {
      body = render_();
    } catch (const std::exception&) {
      response.setStatusAndReason(
          HTTPServerResponse::HTTP_INTERNAL_SERVER_ERROR);
      response.setContentLength(0);
      response.send().flush();
      return;
    }
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_0);
    response.erase("Date");
    response.erase(Poco::Net::HTTPMessage::CONNECTION);
    response.setContentType(std::string(content_type_));
    response.setContentLength64(static_cast<Poco::Int64>(body.size()));
    std::ostream& out = response.send();
    if (request.getMethod() != HTTPRequest::HTTP_HEAD) {
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
    }
    out.flush();
    // FIN now rather than at close: a worker forked while this connection
    // was open holds a copy of the descriptor.
    try {
      socket.shutdownSend();
    } catch (const Poco::Exception&) {
      // The client has gone already.
    }
  }

 private:
  const StatsServer::Render& render_;
  std::string_view content_type_;
  Poco::Timespan timeout_;
};

class DocumentHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  DocumentHandlerFactory(const StatsServer::Render& render,
                         std::string_view content_type, Poco::Timespan timeout)
      : render_(render), content_type_(content_type), timeout_(timeout) {}

  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const HTTPServerRequest&) override {
    return new DocumentHandler(render_, content_type_, timeout_);
  }

 private:
  const StatsServer::Render& render_;
  std::string_view content_type_;
  Poco::Timespan timeout_;
};

// Binds with SO_REUSEADDR but never SO_REUSEPORT: a second server on a busy
// port must fail, not share it. A stale unix socket file is replaced.
Poco::Net::ServerSocket Bind(const net::Address& address, int backlog) {
  Poco::Net::ServerSocket socket;
  if (address.kind == net::Address::Kind::kUnix) {
    struct stat st;
    if (::lstat(address.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      std::error_code ignored;
      std::filesystem::remove(address.path, ignored);
    }
    socket.bind(Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL,
                                         address.path),
                false, false);
  } else {
    socket.bind(
        Poco::Net::SocketAddress(
            address.host.empty() ? "0.0.0.0" : address.host, address.port),
        true, false);
  }
  socket.listen(backlog);
  ::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
  return socket;
}

}  // namespace

class StatsServer::Impl {
 public:
  Impl(Poco::Net::ServerSocket socket, Mode mode, Render render,
       const Limits& limits)
      : socket_(std::move(socket)),
        mode_(mode),
        render_(std::move(render)),
        limits_(limits) {}

  void Start() {
    if (server_ != nullptr) return;
    Poco::Timespan timeout = ToTimespan(limits_.timeout);
    int threads = std::max(1, limits_.max_threads);
    ServerThreadScope scope(TagOf(mode_));
    // Every pool thread is made here, once: none is created or ended while
    // the process may fork (see Start() in the header).
    pool_ = std::make_unique<Poco::ThreadPool>(
        TagOf(mode_), threads, threads, kPoolIdleSeconds, kThreadStackBytes);
    if (mode_ == Mode::kRaw) {
      auto params = new Poco::Net::TCPServerParams;
      params->setMaxThreads(threads);
      params->setMaxQueued(std::max(1, limits_.max_queued));
      params->setThreadIdleTime(kThreadIdleTime);
      server_ = std::make_unique<Poco::Net::TCPServer>(
          new RawConnectionFactory(render_, timeout), *pool_, socket_, params);
    } else {
      auto params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(threads);
      params->setMaxQueued(std::max(1, limits_.max_queued));
      params->setThreadIdleTime(kThreadIdleTime);
      params->setTimeout(timeout);
      params->setKeepAlive(false);
      std::string_view type =
          mode_ == Mode::kMetrics ? kMetricsContentType : "application/json";
      http_ = new Poco::Net::HTTPServer(
          new DocumentHandlerFactory(render_, type, timeout), *pool_, socket_,
          params);
      server_.reset(http_);
    }
    server_->start();
  }

  ~Impl() {
    if (server_ == nullptr) return;
    // Connections in progress are cut, so no render outlives the server.
    if (http_ != nullptr) {
      http_->stopAll(true);
    } else {
      server_->stop();
    }
    pool_->joinAll();
  }

  int fd() const { return socket_.impl()->sockfd(); }
  const Poco::Net::ServerSocket& socket() const { return socket_; }

 private:
  Poco::Net::ServerSocket socket_;
  Mode mode_;
  Render render_;
  Limits limits_;
  std::unique_ptr<Poco::ThreadPool> pool_;  // before server_, which uses it
  std::unique_ptr<Poco::Net::TCPServer> server_;
  Poco::Net::HTTPServer* http_ = nullptr;  // server_, in the HTTP modes
};

StatsServer::StatsServer(const std::string& address, Mode mode, Render render,
                         Limits limits)
    : mode_(mode) {
  net::Address parsed;
  std::string error;
  if (!net::ParseAddress(address, &parsed, &error)) {
    throw std::runtime_error(
        fmt::format("stats server '{}': {}", address, error));
  }
  Poco::Net::ServerSocket socket;
  try {
    socket = Bind(parsed, limits.backlog);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error(fmt::format("stats server '{}': cannot bind: {}",
                                         address, e.displayText()));
  }
  if (parsed.kind == net::Address::Kind::kUnix) {
    name_ = parsed.path;
    unix_path_ = parsed.path;
  } else {
    name_ = socket.address().toString();
  }
  owner_pid_ = ::getpid();
  impl_ = std::make_unique<Impl>(std::move(socket), mode, std::move(render),
                                 limits);
}

StatsServer::~StatsServer() {
  impl_.reset();
  // A forked worker destroying its copy must not remove the master's
  // socket file.
  if (!unix_path_.empty() && ::getpid() == owner_pid_) {
    std::error_code ignored;
    std::filesystem::remove(unix_path_, ignored);
  }
}

void StatsServer::Start() { impl_->Start(); }

int StatsServer::fd() const { return impl_->fd(); }

void StatsServer::CloseInForkedChild() { ::close(impl_->fd()); }

}  // namespace subhost::stats

// ServerImpl: listeners, the shared epoll set, the request threads and the
// housekeeper that enforces timeouts.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "engine/log.h"
#include "engine/net/address.h"
#include "engine/server/connection.h"
#include "engine/server/response_writer.h"
#include "subhost/server.h"

namespace subhost {

namespace server {

Connection::~Connection() {
  if (spool_fd >= 0) ::close(spool_fd);
}

}  // namespace server

namespace {

using server::Connection;
using server::Listener;
using server::Phase;
using server::Pollable;
using server::Protocol;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kReadChunk = 64 * 1024;

// Reads a spooled request body back.
class SpoolReader : public BodyReader {
 public:
  explicit SpoolReader(int fd) : fd_(fd) {}
  ~SpoolReader() override { ::close(fd_); }
  std::ptrdiff_t Read(char* buffer, std::size_t size) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

 private:
  int fd_;
};

int OpenSpool() {
  const char* dir = std::getenv("TMPDIR");
  if (dir == nullptr || *dir == '\0') dir = "/tmp";
  int fd = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = std::string(dir) + "/subhost-body-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(path.c_str());
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

class ServerImpl final : public Server {
 public:
  ServerImpl(Engine& engine, const ServerOptions& options)
      : engine_(engine), options_(options), log_(options.log) {
    http_limits_.max_head_bytes = options.buffer_size;
    http_limits_.max_body_bytes =
        options.limit_post > 0 ? options.limit_post : -1;
    uwsgi_limits_.buffer_size = options.buffer_size;
    timeout_ms_ = options.socket_timeout_s * 1000;
    for (const MountInfo& m : engine.Mounts()) {
      if (static_cast<size_t>(m.id) >= mountpoints_.size()) {
        mountpoints_.resize(static_cast<size_t>(m.id) + 1);
      }
      mountpoints_[static_cast<size_t>(m.id)] = m.mountpoint;
    }
  }

  ~ServerImpl() override {
    for (Connection* c : connections_) CloseFd(c);
    for (Connection* c : connections_) delete c;
    for (auto& l : listeners_) {
      if (l->fd >= 0) ::close(l->fd);
      if (options_.vacuum && !l->unix_path.empty()) {
        ::unlink(l->unix_path.c_str());
      }
    }
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  void Bind() {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
      throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
    }
    epoll_event wake = {};
    wake.events = EPOLLIN;  // level-triggered: wakes every thread on Stop
    wake.data.ptr = &wake_marker_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
    if (options_.listeners.empty()) {
      throw std::runtime_error("no listener: give --http-socket or --socket");
    }
    for (const auto& spec : options_.listeners) {
      net::Address address;
      std::string error;
      if (!net::ParseAddress(spec.address, &address, &error)) {
        throw std::runtime_error(error);
      }
      int fd = spec.fd;
      if (fd < 0) {
        net::BindOptions bind;
        bind.backlog = options_.listen_backlog;
        bind.unix_mode = options_.unix_socket_mode;
        fd = net::BindListener(address, bind, &error);
        if (fd < 0) throw std::runtime_error(error);
      }
      auto l = std::make_unique<Listener>();
      l->fd = fd;
      l->protocol = spec.protocol;
      l->name = net::LocalName(fd);
      if (address.kind == net::Address::Kind::kUnix) {
        // Whoever bound the socket removes its file (--vacuum).
        if (spec.fd < 0) l->unix_path = address.path;
        l->server_name = "localhost";
      } else {
        l->server_name = address.host.empty() ? "localhost" : address.host;
        size_t colon = l->name.rfind(':');
        l->server_port = static_cast<std::uint16_t>(
            std::atoi(l->name.c_str() + colon + 1));
      }
      Arm(l.get(), fd, EPOLL_CTL_ADD);
      listeners_.push_back(std::move(l));
    }
  }

  std::vector<std::string> Listening() const override {
    std::vector<std::string> out;
    for (const auto& l : listeners_) {
      out.push_back(std::string(l->protocol == Protocol::kHttp ? "http "
                                                               : "uwsgi ") +
                    l->name);
    }
    return out;
  }

  void Run() override {
    std::vector<std::thread> threads;
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads.emplace_back([this, i] { ThreadMain(i); });
    }
    {
      std::unique_lock<std::mutex> lock(stop_mu_);
      while (!stopping_) {
        stop_cv_.wait_for(lock, std::chrono::seconds(1));
        if (stopping_) break;
        lock.unlock();
        Sweep();
        lock.lock();
      }
    }
    Drain();
    exit_flag_.store(true);
    std::uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
    for (auto& t : threads) t.join();
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    stopping_flag_.store(true);
    stop_cv_.notify_all();
  }

 private:
  // Waits for the connections still open to finish: no new ones are
  // accepted; one idle for a second more is closed by Sweep.
  void Drain() {
    for (auto& l : listeners_) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l->fd, nullptr);
    }
    while (accepting_.load() != 0) std::this_thread::yield();
    std::int64_t idle_deadline = NowMs() + 1000;
    {
      std::lock_guard<std::mutex> lock(registry_mu_);
      for (Connection* c : connections_) {
        std::int64_t d = c->deadline_ms.load();
        if (c->phase == Phase::kIdle && (d == 0 || d > idle_deadline)) {
          c->deadline_ms.store(idle_deadline);
        }
      }
    }
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(registry_mu_);
        if (connections_.empty()) return;
      }
      Sweep();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void Arm(Pollable* p, int fd, int op) {
    epoll_event ev = {};
    if (p->type == Pollable::Type::kListener && options_.shared_accept) {
      // Several processes wait on this socket: wake one idle one per
      // connection (EPOLLEXCLUSIVE). Level-triggered, and a woken thread
      // takes only a few connections, so that a burst spreads over the
      // workers that are idle instead of queueing behind the first.
      if (op != EPOLL_CTL_ADD) return;
      ev.events = EPOLLIN | EPOLLEXCLUSIVE;
      ev.data.ptr = p;
      ::epoll_ctl(epoll_fd_, op, fd, &ev);
      return;
    }
    ev.events = EPOLLIN | EPOLLONESHOT |
                (p->type == Pollable::Type::kConnection ? static_cast<unsigned>(EPOLLRDHUP) : 0u);
    ev.data.ptr = p;
    ::epoll_ctl(epoll_fd_, op, fd, &ev);
  }

  void ThreadMain(int index) {
    thread_index_ = index;
    for (;;) {
      epoll_event ev;
      int n = ::epoll_wait(epoll_fd_, &ev, 1, -1);
      if (exit_flag_.load()) return;
      if (n <= 0) continue;
      auto* p = static_cast<Pollable*>(ev.data.ptr);
      if (p == &wake_marker_) {
        if (exit_flag_.load()) return;
        continue;
      }
      if (p->type == Pollable::Type::kListener) {
        Accept(static_cast<Listener*>(p));
      } else {
        Serve(static_cast<Connection*>(p));
      }
    }
  }

  void Accept(Listener* l) {
    // Drain waits for accepting_ to fall to zero after it sets
    // stopping_flag_: either this thread sees the flag and accepts nothing,
    // or what it accepts is registered before Drain counts connections.
    // (A stopping worker must leave new connections to the others.)
    accepting_.fetch_add(1);
    struct Done {
      std::atomic<int>& n;
      ~Done() { n.fetch_sub(1); }
    } done{accepting_};
    const int batch = options_.shared_accept ? 4 : 64;
    for (int i = 0; i < batch && !stopping_flag_.load(); ++i) {
      sockaddr_storage peer;
      socklen_t len = sizeof peer;
      int fd = ::accept4(l->fd, reinterpret_cast<sockaddr*>(&peer), &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          log_.Error("accept on " + l->name + ": " + std::strerror(errno));
        }
        break;
      }
      if (peer.ss_family != AF_UNIX) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      auto* c = new Connection(fd, l, http_limits_, uwsgi_limits_);
      net::PeerName(peer, &c->peer_host, &c->peer_port);
      c->deadline_ms.store(NowMs() + timeout_ms_);
      {
        std::lock_guard<std::mutex> lock(registry_mu_);
        connections_.insert(c);
      }
      Arm(c, fd, EPOLL_CTL_ADD);
    }
    if (!stopping_flag_.load()) Arm(l, l->fd, EPOLL_CTL_MOD);
  }

  // The thread that took c's event owns it until it rearms or closes it.
  void Serve(Connection* c) {
    while (c->busy.exchange(true)) sched_yield();  // the housekeeper has it
    if (c->timed_out.load()) {
      Close(c, true);
      return;
    }
    // Reads land in a per-thread buffer; only what arrived is appended to
    // the connection's (growing a string by 64 KiB would zero it each time).
    thread_local std::unique_ptr<char[]> chunk(new char[kReadChunk]);
    for (;;) {
      if (c->in_start == c->in.size()) {
        c->in.clear();
        c->in_start = 0;
      } else if (c->in_start > kReadChunk) {
        c->in.erase(0, c->in_start);
        c->in_start = 0;
      }
      ssize_t n = ::recv(c->fd, chunk.get(), kReadChunk, 0);
      if (n > 0) c->in.append(chunk.get(), static_cast<size_t>(n));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        Close(c, false);
        return;
      }
      if (!Process(c)) {
        Close(c, false);
        return;
      }
      if (static_cast<size_t>(n) < kReadChunk) break;
    }
    std::int64_t now = NowMs();
    std::int64_t deadline =
        c->phase == Phase::kHead ? c->head_deadline_ms : now + timeout_ms_;
    if (stopping_flag_.load() && c->phase == Phase::kIdle) {
      // Draining, after a response that promised keep-alive: the client may
      // already be sending its next request, which will be answered with
      // "Connection: close". Closing now would reset it. Idle for a second,
      // Sweep closes it.
      deadline = std::min(deadline, now + 1000);
    }
    c->deadline_ms.store(deadline);
    c->busy.store(false);
    Arm(c, c->fd, EPOLL_CTL_MOD);
  }

  // Parses what c has buffered and runs each complete request. False when
  // the connection must close.
  bool Process(Connection* c) {
    return c->listener->protocol == Protocol::kHttp ? ProcessHttp(c)
                                                    : ProcessUwsgi(c);
  }

  void StartRequestClock(Connection* c) {
    if (c->phase == Phase::kIdle) {
      c->phase = Phase::kHead;
      c->head_deadline_ms = NowMs() + timeout_ms_;
    }
  }

  bool ProcessHttp(Connection* c) {
    for (;;) {
      std::string_view data(c->in.data() + c->in_start,
                            c->in.size() - c->in_start);
      net::HttpRequestParser::Step step = c->http.Feed(data);
      c->in_start += step.consumed;
      using Event = net::HttpRequestParser::Event;
      switch (step.event) {
        case Event::kNeedMore:
          if (!c->http.at_message_start()) StartRequestClock(c);
          return true;
        case Event::kHead: {
          StartRequestClock(c);
          c->phase = Phase::kBody;
          const net::HttpHead& h = c->http.head();
          Request& r = c->request;
          r.method = h.method;
          r.path = h.path;
          r.query = h.query;
          r.headers = h.headers;
          r.protocol = h.http_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
          c->keep_alive = h.keep_alive;
          c->head_request = h.method == "HEAD";
          if (h.content_length > options_.post_buffering &&
              !StartSpool(c)) {
            return SendError(c, 500, "cannot spool the request body");
          }
          if (h.expect_continue && h.http_minor >= 1) {
            static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
            iovec iov = {const_cast<char*>(kContinue), sizeof kContinue - 1};
            if (!server::SendAll(c->fd, &iov, 1, timeout_ms_)) return false;
          }
          break;
        }
        case Event::kBody:
          if (!AppendBody(c, step.body)) {
            return SendError(c, 500, "cannot spool the request body");
          }
          break;
        case Event::kMessageEnd: {
          bool keep = RunRequest(c, c->keep_alive && !stopping_flag_.load());
          c->http.NextMessage();
          if (!keep) return false;
          break;
        }
        case Event::kError:
          log_.Warning("bad request from " + c->peer_host + ": " + step.error +
                       " -> " + std::to_string(step.status));
          SendError(c, step.status, step.error);
          return false;
      }
    }
  }

  bool ProcessUwsgi(Connection* c) {
    if (!c->uwsgi_vars_done) {
      std::string_view data(c->in.data() + c->in_start,
                            c->in.size() - c->in_start);
      size_t consumed = 0;
      auto result = c->uwsgi.Feed(data, &consumed);
      c->in_start += consumed;
      using Result = net::UwsgiRequestParser::Result;
      if (result == Result::kNeedMore) {
        if (consumed > 0) StartRequestClock(c);
        return true;
      }
      if (result == Result::kLooksLikeHttp || result == Result::kError) {
        log_.Warning("uwsgi socket " + c->listener->name + ", peer " +
                     c->peer_host + ": " + c->uwsgi.error());
        SendError(c, 400, c->uwsgi.error());
        return false;
      }
      StartRequestClock(c);
      c->phase = Phase::kBody;
      c->uwsgi_vars_done = true;
      c->uwsgi_body_left = RequestFromUwsgiVars(c);
      c->keep_alive = false;
      if (options_.limit_post > 0 && c->uwsgi_body_left > options_.limit_post) {
        return SendError(c, 413, "request body over --limit-post");
      }
      if (c->uwsgi_body_left > options_.post_buffering && !StartSpool(c)) {
        return SendError(c, 500, "cannot spool the request body");
      }
    }
    size_t avail = c->in.size() - c->in_start;
    size_t take = static_cast<size_t>(
        std::min<std::int64_t>(c->uwsgi_body_left, static_cast<std::int64_t>(avail)));
    if (take > 0) {
      if (!AppendBody(c, std::string_view(c->in.data() + c->in_start, take))) {
        return SendError(c, 500, "cannot spool the request body");
      }
      c->in_start += take;
      c->uwsgi_body_left -= static_cast<std::int64_t>(take);
    }
    if (c->uwsgi_body_left > 0) return true;
    RunRequest(c, false);
    return false;  // one request per uwsgi connection
  }

  // Fills c->request from the CGI vars nginx sent; returns the body size.
  std::int64_t RequestFromUwsgiVars(Connection* c) {
    Request& r = c->request;
    std::int64_t length = 0;
    std::string path_info, query, uri;
    bool have_uri = false;
    for (const auto& [k, v] : c->uwsgi.vars()) {
      if (k.rfind("HTTP_", 0) == 0) {
        std::string name = k.substr(5);
        for (char& ch : name) ch = ch == '_' ? '-' : ch;
        r.headers.emplace_back(std::move(name), v);
      } else if (k == "REQUEST_METHOD") {
        r.method = v;
      } else if (k == "REQUEST_URI") {
        uri = v;
        have_uri = true;
      } else if (k == "PATH_INFO") {
        path_info = v;
      } else if (k == "QUERY_STRING") {
        query = v;
      } else if (k == "CONTENT_TYPE") {
        if (!v.empty()) r.headers.emplace_back("Content-Type", v);
      } else if (k == "CONTENT_LENGTH") {
        length = v.empty() ? 0 : std::atoll(v.c_str());
      } else if (k == "SERVER_PROTOCOL") {
        r.protocol = v;
      } else if (k == "REMOTE_ADDR") {
        r.remote_addr = v;
      } else if (k == "REMOTE_PORT") {
        r.remote_port = static_cast<std::uint16_t>(std::atoi(v.c_str()));
      } else if (k == "SERVER_NAME") {
        r.server_name = v;
      } else if (k == "SERVER_PORT") {
        r.server_port = static_cast<std::uint16_t>(std::atoi(v.c_str()));
      } else if ((k == "HTTPS" && (v == "on" || v == "1")) ||
                 (k == "REQUEST_SCHEME" && v == "https") ||
                 (k == "UWSGI_SCHEME" && v == "https")) {
        r.scheme = "https";
      }
    }
    if (have_uri && !uri.empty() && uri[0] == '/') {
      size_t q = uri.find('?');
      r.path = uri.substr(0, q);
    } else {
      // PATH_INFO is already decoded: escape '%' so decoding is a no-op.
      r.path.clear();
      for (char ch : path_info) {
        if (ch == '%') {
          r.path += "%25";
        } else {
          r.path += ch;
        }
      }
      if (r.path.empty()) r.path = "/";
    }
    r.query = query;
    c->keep_alive = false;
    return std::max<std::int64_t>(length, 0);
  }

  bool StartSpool(Connection* c) {
    c->spool_fd = OpenSpool();
    if (c->spool_fd < 0) return false;
    if (!c->request.body.empty()) {
      if (!WriteAll(c->spool_fd, c->request.body.data(),
                    c->request.body.size())) {
        return false;
      }
      c->request.body.clear();
      c->request.body.shrink_to_fit();
    }
    return true;
  }

  bool AppendBody(Connection* c, std::string_view data) {
    c->body_size += static_cast<std::int64_t>(data.size());
    if (c->spool_fd < 0 && c->body_size > options_.post_buffering &&
        !StartSpool(c)) {
      return false;
    }
    if (c->spool_fd >= 0) return WriteAll(c->spool_fd, data.data(), data.size());
    c->request.body.append(data);
    return true;
  }

  // Runs c's complete request and writes the response. Returns whether the
  // connection may carry another request.
  bool RunRequest(Connection* c, bool keep_alive) {
    Request& r = c->request;
    const Listener& l = *c->listener;
    if (l.protocol == Protocol::kHttp) {
      r.remote_addr = c->peer_host;
      r.remote_port = c->peer_port;
      r.server_name = l.server_name;
      r.server_port = l.server_port;
    }
    if (c->spool_fd >= 0) {
      ::lseek(c->spool_fd, 0, SEEK_SET);
      r.body_reader = std::make_shared<SpoolReader>(c->spool_fd);
      r.body_length = c->body_size;
      c->spool_fd = -1;
    }
    server::ResponseWriter::Setup setup{c->fd, timeout_ms_, r.protocol,
                                        keep_alive, c->head_request,
                                        l.protocol == Protocol::kHttp};
    server::ResponseWriter writer(setup);
    const bool timed = options_.log_requests || options_.observer != nullptr;
    auto start = timed ? std::chrono::steady_clock::now()
                       : std::chrono::steady_clock::time_point();
    if (options_.observer != nullptr) {
      options_.observer->RequestStarted(thread_index_, r);
    }
    RequestOutcome outcome = engine_.Handle(r, writer);
    if (timed) {
      double ms = std::chrono::duration<double, std::milli>(
                      std::chrono::steady_clock::now() - start)
                      .count();
      if (options_.observer != nullptr) {
        options_.observer->RequestFinished(thread_index_, r, outcome,
                                           writer.bytes_sent(), ms);
      }
      if (options_.log_requests) {
        LogRequest(c, outcome, writer.bytes_sent(), ms);
      }
    }
    bool keep = writer.keep_alive() && outcome.completed;
    // Ready for the next request; keep small buffers' capacity.
    r.headers.clear();
    r.body.clear();
    if (r.body.capacity() > kReadChunk) r.body.shrink_to_fit();
    r.body_reader.reset();
    r.body_length = -1;
    c->body_size = 0;
    c->phase = Phase::kIdle;
    return keep;
  }

  void LogRequest(Connection* c, const RequestOutcome& o, std::uint64_t bytes,
                  double ms) {
    const Request& r = c->request;
    std::string mount = o.mount_id >= 0 &&
                                static_cast<size_t>(o.mount_id) < mountpoints_.size()
                            ? "'" + mountpoints_[static_cast<size_t>(o.mount_id)] + "'"
                            : "none";
    char line[768];
    std::snprintf(line, sizeof line,
                  "%s %s %.200s%s%.200s => %d, %llu bytes in %.2f ms (%s, "
                  "mount %s)%s",
                  c->peer_host.c_str(), r.method.c_str(), r.path.c_str(),
                  r.query.empty() ? "" : "?", r.query.c_str(), o.status,
                  static_cast<unsigned long long>(bytes), ms,
                  r.protocol.c_str(), mount.c_str(),
                  o.completed ? "" : " [cut short]");
    log_.Info(line);
  }

  // Answers with an error page; the connection then closes (returns false).
  bool SendError(Connection* c, int status, const std::string& why) {
    std::string body = std::to_string(status) + " " + ReasonPhrase(status) +
                       ": " + why + "\n";
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                       ReasonPhrase(status) +
                       "\r\nContent-Type: text/plain\r\nContent-Length: " +
                       std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n";
    iovec iov[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
    server::SendAll(c->fd, iov, 2, timeout_ms_);
    return false;
  }

  void CloseFd(Connection* c) {
    if (c->fd >= 0) {
      ::close(c->fd);
      c->fd = -1;
    }
  }

  void Close(Connection* c, bool timed_out) {
    if (timed_out && c->phase != Phase::kIdle) {
      log_.Warning("connection from " + c->peer_host + " timed out after " +
                   std::to_string(options_.socket_timeout_s) + " s " +
                   (c->phase == Phase::kHead ? "reading the request head"
                                             : "reading the request body"));
    }
    {
      std::lock_guard<std::mutex> lock(registry_mu_);
      connections_.erase(c);
    }
    CloseFd(c);
    delete c;
  }

  // Times out connections idle past their deadline: claims each (so no
  // thread serves it meanwhile), answers 408 if a request was under way,
  // and shuts the socket so that its next event closes it.
  void Sweep() {
    std::int64_t now = NowMs();
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (Connection* c : connections_) {
      std::int64_t deadline = c->deadline_ms.load();
      if (deadline == 0 || now < deadline) continue;
      bool expected = false;
      if (!c->busy.compare_exchange_strong(expected, true)) continue;
      if (!c->timed_out.load()) {
        c->timed_out.store(true);
        if (c->phase != Phase::kIdle) {
          static const char k408[] =
              "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n";
          ssize_t ignored =
              ::send(c->fd, k408, sizeof k408 - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
          (void)ignored;
        }
        ::shutdown(c->fd, SHUT_RDWR);
      }
      c->busy.store(false);
    }
  }

  Engine& engine_;
  ServerOptions options_;
  Logger log_;
  net::HttpLimits http_limits_;
  net::UwsgiLimits uwsgi_limits_;
  int timeout_ms_ = 4000;
  std::vector<std::string> mountpoints_;  // by mount id
  std::vector<std::unique_ptr<Listener>> listeners_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  Pollable wake_marker_{Pollable::Type::kWake};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::atomic<bool> stopping_flag_{false};  // draining
  std::atomic<bool> exit_flag_{false};      // request threads return
  std::atomic<int> accepting_{0};           // threads inside Accept
  static thread_local int thread_index_;

  std::mutex registry_mu_;
  std::unordered_set<Connection*> connections_;  // guarded by registry_mu_
};

thread_local int ServerImpl::thread_index_ = 0;

}  // namespace

std::unique_ptr<Server> Server::Create(Engine& engine,
                                       const ServerOptions& options) {
  auto server = std::make_unique<ServerImpl>(engine, options);
  server->Bind();
  return server;
}

}  // namespace subhost

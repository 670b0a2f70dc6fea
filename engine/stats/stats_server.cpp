// The --stats / --stats-http / --metrics listener. It runs inside the
// master's poll loop, so every wait below has a deadline: a slow or silent
// client costs the master about a second at most, never a hang.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/net/address.h"
#include "engine/stats/stats.h"

namespace subhost::stats {

namespace {

// Time one Serve() call may spend before it leaves connections queued.
constexpr long long kServeBudgetMs = 1000;
// What a connection accepted late in that budget still gets, so a client
// queued behind a slow one is answered rather than cut off.
constexpr long long kMinConnectionMs = 200;
// Longest request head read: enough for any real client's GET.
constexpr std::size_t kMaxHead = 8192;

long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Closes the descriptor on every path out, render() throwing included.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { ::close(fd_); }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

 private:
  int fd_;
};

// Waits for events on fd until deadline_ms; false on timeout or error.
bool WaitFor(int fd, short events, long long deadline_ms) {
  for (;;) {
    long long left = deadline_ms - NowMs();
    if (left <= 0) return false;
    pollfd p = {fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool HeadComplete(std::string_view head) {
  return head.find("\r\n\r\n") != std::string_view::npos ||
         head.find("\n\n") != std::string_view::npos;
}

// Reads the HTTP request head (and discards it): closing a socket with
// unread input makes the kernel send a reset, which can destroy the
// response before the client reads it.
std::string ReadHead(int conn, long long deadline_ms) {
  std::string head;
  char buf[2048];
  while (head.size() < kMaxHead && !HeadComplete(head)) {
    ssize_t n = ::recv(conn, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      head.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;  // the client finished sending
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) break;
    if (!WaitFor(conn, POLLIN, deadline_ms)) break;
  }
  return head;
}

// The raw stats protocol has no request, but a client may still have sent
// something (a curious curl); drop what has already arrived, without waiting.
void DrainPending(int conn) {
  char buf[2048];
  for (std::size_t total = 0; total < kMaxHead;) {
    ssize_t n = ::recv(conn, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return;
    total += static_cast<std::size_t>(n);
  }
}

void SendAll(int conn, std::string_view data, long long deadline_ms) {
  while (!data.empty()) {
    ssize_t n =
        ::send(conn, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(conn, POLLOUT, deadline_ms)) {
      continue;
    }
    return;  // the client went away or is too slow
  }
}

bool IsHeadRequest(std::string_view head) {
  return head.substr(0, 5) == "HEAD ";
}

std::string HttpResponse(std::string_view content_type, std::string_view body,
                         bool include_body) {
  std::string response = "HTTP/1.0 200 OK\r\nContent-Type: ";
  response += content_type;
  response += "\r\nContent-Length: ";
  response += std::to_string(body.size());
  response += "\r\n\r\n";
  if (include_body) response += body;
  return response;
}

// accept() failures that concern only the one connection: try the next.
bool IsTransientAcceptError(int err) {
  return err == EINTR || err == ECONNABORTED || err == EPROTO;
}

}  // namespace

StatsServer::StatsServer(const std::string& address, Mode mode) : mode_(mode) {
  net::Address parsed;
  std::string error;
  if (!net::ParseAddress(address, &parsed, &error)) {
    throw std::runtime_error("stats server '" + address + "': " + error);
  }
  fd_ = net::BindListener(parsed, net::BindOptions{}, &error);
  if (fd_ < 0) {
    throw std::runtime_error("stats server '" + address + "': " + error);
  }
  name_ = net::LocalName(fd_);
  if (parsed.kind == net::Address::Kind::kUnix) unix_path_ = parsed.path;
  owner_pid_ = ::getpid();
}

StatsServer::~StatsServer() {
  if (fd_ >= 0) ::close(fd_);
  // A forked worker destroying its copy must not remove the master's
  // socket file.
  if (!unix_path_.empty() && ::getpid() == owner_pid_) {
    ::unlink(unix_path_.c_str());
  }
}

void StatsServer::Serve(const std::function<std::string()>& render) {
  long long serve_deadline = NowMs() + kServeBudgetMs;
  while (NowMs() < serve_deadline) {
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
      if (IsTransientAcceptError(errno)) continue;
      // EAGAIN: nothing left. Anything else (EMFILE...) is not ours to fix
      // here; the next readable event retries.
      return;
    }
    ScopedFd guard(conn);
    ServeOne(conn, render,
             std::max(serve_deadline, NowMs() + kMinConnectionMs));
  }
}

void StatsServer::ServeOne(int conn, const std::function<std::string()>& render,
                           long long deadline_ms) {
  if (mode_ == Mode::kRaw) {
    DrainPending(conn);
    SendAll(conn, render(), deadline_ms);
  } else {
    std::string head = ReadHead(conn, deadline_ms);
    std::string_view type = mode_ == Mode::kMetrics
                                ? "text/plain; version=0.0.4; charset=utf-8"
                                : "application/json";
    SendAll(conn, HttpResponse(type, render(), !IsHeadRequest(head)),
            deadline_ms);
  }
  // FIN after the document, so the client sees a clean end of stream.
  ::shutdown(conn, SHUT_WR);
}

}  // namespace subhost::stats

// Why the loop is epoll on the sockets' descriptors and not Poco's
// PollSet/SocketReactor: several worker processes wait on one listening
// socket and each new connection must wake one idle thread
// (EPOLLEXCLUSIVE); a connection must go to exactly one request thread
// until it is rearmed (EPOLLONESHOT); PollSet has neither, and it
// allocates a result map on every poll. The Poco socket objects still own
// every descriptor; the loop only borrows their numbers.
#include "engine/server/dispatcher.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/Thread.h>
#include <fmt/format.h>

#include "engine/net/address.h"
#include "engine/server/named_thread.h"

namespace subhost::server {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

#if defined(__SANITIZE_THREAD__)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#endif

// Rearms a connection that its owner has just released; c is not read.
void RearmConnection(int epoll_fd, int fd, Connection* c) {
  epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLONESHOT | EPOLLRDHUP;
  ev.data.ptr = c;
#if defined(__SANITIZE_THREAD__)
  // ThreadSanitizer counts epoll_ctl as a read of fd's state but sees no
  // order in EPOLL_CTL_MOD, so the close by the thread that takes the next
  // event would look like a race with this call. The kernel orders the two
  // (and keeps the file alive while epoll_ctl runs); only this one call is
  // hidden from the sanitizer.
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#else
  ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
#endif
}

}  // namespace

Dispatcher::Dispatcher(Engine& engine, const ServerOptions& options,
                       const Logger& log,
                       const std::vector<std::unique_ptr<Listener>>& listeners)
    : options_(options),
      log_(log),
      listeners_(listeners),
      exchange_(engine, options, log, draining_),
      timeout_ms_(options.socket_timeout_s * 1000) {
  http_limits_.max_head_bytes = options.buffer_size;
  http_limits_.max_body_bytes = options.limit_post > 0 ? options.limit_post : -1;
  uwsgi_limits_.buffer_size = options.buffer_size;
  // Neither an epoll set nor an eventfd is a socket: no Poco type owns
  // them, this object does.
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    std::string why = std::strerror(errno);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    throw std::runtime_error(fmt::format("epoll: {}", why));
  }
  epoll_event wake = {};
  wake.events = EPOLLIN;  // level-triggered: wakes every thread on exit
  wake.data.ptr = &wake_marker_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  for (const auto& l : listeners_) Arm(l.get(), l->fd, EPOLL_CTL_ADD);
}

Dispatcher::~Dispatcher() {
  connections_.clear();  // each socket closes itself
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void Dispatcher::Run() {
  std::vector<std::unique_ptr<NamedThread>> threads;
  for (int i = 0; i < std::max(1, options_.threads); ++i) {
    threads.push_back(
        std::make_unique<NamedThread>(fmt::format("subhost-req-{}", i + 1)));
    threads.back()->Start([this, i] { RequestThread(i); });
  }
  NamedThread housekeeper("subhost-housekeeper");
  housekeeper.Start([this] { Housekeep(); });
  housekeeper.Join();
  // Each request thread deletes its Python thread states as it exits
  // (thread-local cleanup), before the engine can end the interpreters.
  for (auto& t : threads) t->Join();
}

void Dispatcher::Stop() {
  if (stopping_.exchange(true)) return;
  draining_.store(true);
  stop_requested_.set();
}

void Dispatcher::Wake() {
  std::uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
}

void Dispatcher::Housekeep() {
  while (!stop_requested_.tryWait(1000)) Sweep();
  Drain();
  exit_.store(true);
  Wake();
}

// Waits for the connections still open to finish: no new ones are
// accepted; one idle for a second more is closed by Sweep.
void Dispatcher::Drain() {
  for (const auto& l : listeners_) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, l->fd, nullptr);
  }
  while (accepting_.load() != 0) Poco::Thread::yield();
  std::int64_t idle_deadline = NowMs() + 1000;
  {
    Poco::FastMutex::ScopedLock lock(registry_mu_);
    for (const auto& [c, owned] : connections_) {
      std::int64_t d = c->deadline_ms.load();
      if (c->phase_now() == Phase::kIdle && (d == 0 || d > idle_deadline)) {
        c->deadline_ms.store(idle_deadline);
      }
    }
  }
  for (;;) {
    {
      Poco::FastMutex::ScopedLock lock(registry_mu_);
      if (connections_.empty()) return;
    }
    Sweep();
    Poco::Thread::sleep(50);
  }
}

void Dispatcher::Arm(Pollable* p, int fd, int op) {
  epoll_event ev = {};
  if (p->type == Pollable::Type::kListener && options_.shared_accept) {
    // Several processes wait on this socket: wake one idle one per
    // connection (EPOLLEXCLUSIVE, which Poco's PollSet cannot ask for).
    // Level-triggered, and a woken thread takes only a few connections, so
    // that a burst spreads over the workers that are idle instead of
    // queueing behind the first.
    if (op != EPOLL_CTL_ADD) return;
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.ptr = p;
    ::epoll_ctl(epoll_fd_, op, fd, &ev);
    return;
  }
  // EPOLLONESHOT: the thread that takes the event owns the connection
  // until it rearms it here.
  ev.events = EPOLLIN | EPOLLONESHOT |
              (p->type == Pollable::Type::kConnection
                   ? static_cast<unsigned>(EPOLLRDHUP)
                   : 0u);
  ev.data.ptr = p;
  ::epoll_ctl(epoll_fd_, op, fd, &ev);
}

void Dispatcher::RequestThread(int index) {
  for (;;) {
    epoll_event ev;
    int n = ::epoll_wait(epoll_fd_, &ev, 1, -1);
    if (exit_.load()) return;
    if (n <= 0) continue;
    auto* p = static_cast<Pollable*>(ev.data.ptr);
    if (p == &wake_marker_) continue;
    if (p->type == Pollable::Type::kListener) {
      Accept(static_cast<Listener*>(p));
    } else {
      Serve(static_cast<Connection*>(p), index);
    }
  }
}

void Dispatcher::Accept(Listener* l) {
  // Drain waits for accepting_ to fall to zero after Stop set draining_:
  // either this thread sees the flag and accepts nothing, or what it
  // accepts is registered before Drain counts connections. (A stopping
  // worker must leave new connections to the others.)
  accepting_.fetch_add(1);
  struct Done {
    std::atomic<int>& n;
    ~Done() { n.fetch_sub(1); }
  } done{accepting_};
  const int batch = options_.shared_accept ? 4 : 64;
  for (int i = 0; i < batch && !draining_.load(); ++i) {
    sockaddr_storage peer;
    socklen_t len = sizeof peer;
    // accept4 on the listener's descriptor: one call makes the socket
    // non-blocking and close-on-exec, and EAGAIN is an answer, not an
    // exception as in ServerSocket::acceptConnection. The accepted
    // descriptor goes straight into a StreamSocket, its one owner.
    int fd = ::accept4(l->fd, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        log_.Error(fmt::format("accept on {}: {}", l->name,
                               std::strerror(errno)));
      }
      break;
    }
    if (peer.ss_family != AF_UNIX) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto owned =
        std::make_unique<Connection>(fd, l, http_limits_, uwsgi_limits_);
    Connection* c = owned.get();
    net::PeerName(peer, &c->peer_host, &c->peer_port);
    c->deadline_ms.store(NowMs() + timeout_ms_);
    // Publishes the new connection to whichever thread takes its first
    // event: that thread's busy.exchange reads this store. (epoll orders
    // the two as well, but invisibly to ThreadSanitizer.)
    c->busy.store(false, std::memory_order_release);
    {
      Poco::FastMutex::ScopedLock lock(registry_mu_);
      connections_.emplace(c, std::move(owned));
    }
    Arm(c, fd, EPOLL_CTL_ADD);
  }
  if (!draining_.load()) Arm(l, l->fd, EPOLL_CTL_MOD);
}

// The thread that took c's event owns it until it rearms or closes it.
void Dispatcher::Serve(Connection* c, int thread) {
  // Held by the housekeeper while it times the connection out.
  while (c->busy.exchange(true)) sched_yield();
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
    // recv on the descriptor: accept4 made the socket non-blocking behind
    // Poco's back, so StreamSocket::receiveBytes would take EAGAIN for a
    // timeout and throw; here it just means "read everything there was".
    ssize_t n = ::recv(c->fd, chunk.get(), kReadChunk, 0);
    if (n > 0) c->in.append(chunk.get(), static_cast<size_t>(n));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      Close(c, false);
      return;
    }
    if (!exchange_.Process(c, thread)) {
      Close(c, false);
      return;
    }
    if (static_cast<size_t>(n) < kReadChunk) break;
  }
  std::int64_t now = NowMs();
  Phase phase = c->phase_now();
  std::int64_t deadline =
      phase == Phase::kHead ? c->head_deadline_ms : now + timeout_ms_;
  if (draining_.load() && phase == Phase::kIdle) {
    // Draining, after a response that promised keep-alive: the client may
    // already be sending its next request, which will be answered with
    // "Connection: close". Closing now would reset it. Idle for a second,
    // Sweep closes it.
    deadline = std::min(deadline, now + 1000);
  }
  c->deadline_ms.store(deadline);
  // Rearm, then release: the thread the next event goes to may close c at
  // once, so nothing of c is touched after busy is released. (Released
  // first, the rearm's read of the descriptor would race that close as far
  // as ThreadSanitizer knows: it sees no order in EPOLL_CTL_MOD. A thread
  // woken in between waits for the store, a few instructions.)
  // Release, then rearm, touching nothing of c in between: once busy is
  // released the thread the next event goes to may close c at once. (Rearm
  // first and that thread, woken early, would spin on busy.)
  const int fd = c->fd;
  c->busy.store(false, std::memory_order_release);
  RearmConnection(epoll_fd_, fd, c);
}

void Dispatcher::Close(Connection* c, bool timed_out) {
  Phase phase = c->phase_now();
  if (timed_out && phase != Phase::kIdle) {
    log_.Warning(fmt::format(
        "connection from {} timed out after {} s {}", c->peer_host,
        options_.socket_timeout_s,
        phase == Phase::kHead ? "reading the request head"
                              : "reading the request body"));
  }
  std::unique_ptr<Connection> owned;
  {
    Poco::FastMutex::ScopedLock lock(registry_mu_);
    auto it = connections_.find(c);
    if (it == connections_.end()) return;
    owned = std::move(it->second);
    connections_.erase(it);
  }
  // owned goes out of scope: the socket closes, which also takes it out of
  // the epoll set.
}

// Times out connections idle past their deadline: claims each (so no
// thread serves it meanwhile), answers 408 if a request was under way,
// and shuts the socket so that its next event closes it.
void Dispatcher::Sweep() {
  std::int64_t now = NowMs();
  Poco::FastMutex::ScopedLock lock(registry_mu_);
  for (const auto& [c, owned] : connections_) {
    std::int64_t deadline = c->deadline_ms.load();
    if (deadline == 0 || now < deadline) continue;
    bool expected = false;
    if (!c->busy.compare_exchange_strong(expected, true)) continue;
    if (!c->timed_out.load()) {
      c->timed_out.store(true);
      if (c->phase_now() != Phase::kIdle) {
        static const char k408[] =
            "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n";
        // MSG_DONTWAIT: the housekeeper never waits on one peer.
        ssize_t ignored =
            ::send(c->fd, k408, sizeof k408 - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)ignored;
      }
      try {
        c->socket.shutdown();
      } catch (const Poco::Exception&) {
        // Already disconnected: its next event closes it all the same.
      }
    }
    c->busy.store(false);
  }
}

}  // namespace subhost::server

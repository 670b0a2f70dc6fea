#include "engine/server/exchange.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/server/response_writer.h"
#include "engine/server/uwsgi_request.h"
#include "engine/server/write_all.h"

namespace subhost::server {

namespace {

// Connection buffers above this are given back after each request.
constexpr std::size_t kKeepCapacity = 64 * 1024;

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

}  // namespace

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Exchange::Exchange(Engine& engine, const ServerOptions& options,
                   const Logger& log, const std::atomic<bool>& draining)
    : engine_(engine),
      options_(options),
      log_(log),
      draining_(draining),
      timeout_ms_(options.socket_timeout_s * 1000) {
  for (const MountInfo& m : engine.Mounts()) {
    if (static_cast<size_t>(m.id) >= mountpoints_.size()) {
      mountpoints_.resize(static_cast<size_t>(m.id) + 1);
    }
    mountpoints_[static_cast<size_t>(m.id)] = m.mountpoint;
  }
}

bool Exchange::Process(Connection* c, int thread) {
  return c->listener->protocol == Protocol::kHttp ? ProcessHttp(c, thread)
                                                  : ProcessUwsgi(c, thread);
}

void Exchange::StartRequestClock(Connection* c) {
  if (c->phase_now() == Phase::kIdle) {
    c->set_phase(Phase::kHead);
    c->head_deadline_ms = NowMs() + timeout_ms_;
  }
}

bool Exchange::ProcessHttp(Connection* c, int thread) {
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
        c->set_phase(Phase::kBody);
        const net::HttpHead& h = c->http.head();
        Request& r = c->request;
        r.method = h.method;
        r.path = h.path;
        r.query = h.query;
        r.headers = h.headers;
        r.protocol = h.http_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
        c->keep_alive = h.keep_alive;
        c->head_request = h.method == "HEAD";
        if (h.content_length > options_.post_buffering && !StartSpool(c)) {
          return SendError(c, 500, "cannot spool the request body");
        }
        if (h.expect_continue && h.http_minor >= 1) {
          static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
          iovec iov = {const_cast<char*>(kContinue), sizeof kContinue - 1};
          if (!WriteAll(c->fd, Target::kSocket, &iov, 1, timeout_ms_)) {
            return false;
          }
        }
        break;
      }
      case Event::kBody:
        if (!AppendBody(c, step.body)) {
          return SendError(c, 500, "cannot spool the request body");
        }
        break;
      case Event::kMessageEnd: {
        bool keep = RunRequest(c, c->keep_alive && !draining_.load(), thread);
        c->http.NextMessage();
        if (!keep) return false;
        break;
      }
      case Event::kError:
        log_.Warning(fmt::format("bad request from {}: {} -> {}", c->peer_host,
                                 step.error, step.status));
        SendError(c, step.status, step.error);
        return false;
    }
  }
}

bool Exchange::ProcessUwsgi(Connection* c, int thread) {
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
      log_.Warning(fmt::format("uwsgi socket {}, peer {}: {}",
                               c->listener->name, c->peer_host,
                               c->uwsgi.error()));
      SendError(c, 400, c->uwsgi.error());
      return false;
    }
    StartRequestClock(c);
    c->set_phase(Phase::kBody);
    c->uwsgi_vars_done = true;
    c->uwsgi_body_left = RequestFromUwsgiVars(c->uwsgi.vars(), &c->request);
    c->keep_alive = false;
    if (options_.limit_post > 0 && c->uwsgi_body_left > options_.limit_post) {
      return SendError(c, 413, "request body over --limit-post");
    }
    if (c->uwsgi_body_left > options_.post_buffering && !StartSpool(c)) {
      return SendError(c, 500, "cannot spool the request body");
    }
  }
  size_t avail = c->in.size() - c->in_start;
  size_t take = static_cast<size_t>(std::min<std::int64_t>(
      c->uwsgi_body_left, static_cast<std::int64_t>(avail)));
  if (take > 0) {
    if (!AppendBody(c, std::string_view(c->in.data() + c->in_start, take))) {
      return SendError(c, 500, "cannot spool the request body");
    }
    c->in_start += take;
    c->uwsgi_body_left -= static_cast<std::int64_t>(take);
  }
  if (c->uwsgi_body_left > 0) return true;
  RunRequest(c, false, thread);
  return false;  // one request per uwsgi connection
}

bool Exchange::StartSpool(Connection* c) {
  if (!c->spool.Open()) return false;
  if (!c->request.body.empty()) {
    if (!c->spool.Append(c->request.body)) return false;
    c->request.body.clear();
    c->request.body.shrink_to_fit();
  }
  return true;
}

bool Exchange::AppendBody(Connection* c, std::string_view data) {
  c->body_size += static_cast<std::int64_t>(data.size());
  if (!c->spool.is_open() && c->body_size > options_.post_buffering &&
      !StartSpool(c)) {
    return false;
  }
  if (c->spool.is_open()) return c->spool.Append(data);
  c->request.body.append(data);
  return true;
}

bool Exchange::RunRequest(Connection* c, bool keep_alive, int thread) {
  Request& r = c->request;
  const Listener& l = *c->listener;
  if (l.protocol == Protocol::kHttp) {
    r.remote_addr = c->peer_host;
    r.remote_port = c->peer_port;
    r.server_name = l.server_name;
    r.server_port = l.server_port;
  }
  if (c->spool.is_open()) {
    r.body_reader = c->spool.TakeReader();
    r.body_length = c->body_size;
  }
  ResponseWriter::Setup setup{c->fd, timeout_ms_, r.protocol, keep_alive,
                              c->head_request, l.protocol == Protocol::kHttp};
  ResponseWriter writer(setup);
  const bool timed = options_.log_requests || options_.observer != nullptr;
  auto start = timed ? std::chrono::steady_clock::now()
                     : std::chrono::steady_clock::time_point();
  if (options_.observer != nullptr) {
    options_.observer->RequestStarted(thread, r);
  }
  RequestOutcome outcome = engine_.Handle(r, writer);
  if (timed) {
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (options_.observer != nullptr) {
      options_.observer->RequestFinished(thread, r, outcome,
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
  if (r.body.capacity() > kKeepCapacity) r.body.shrink_to_fit();
  r.body_reader.reset();
  r.body_length = -1;
  c->body_size = 0;
  c->set_phase(Phase::kIdle);
  return keep;
}

void Exchange::LogRequest(const Connection* c, const RequestOutcome& o,
                          std::uint64_t bytes, double ms) const {
  const Request& r = c->request;
  // On the stack unless a line is unusually long.
  fmt::basic_memory_buffer<char, 768> line;
  fmt::format_to(std::back_inserter(line), "{} {} {:.200}{}{:.200} => {}, ",
                 c->peer_host, r.method, r.path, r.query.empty() ? "" : "?",
                 r.query, o.status);
  fmt::format_to(std::back_inserter(line), "{} bytes in {:.2f} ms ({}, mount ",
                 bytes, ms, r.protocol);
  if (o.mount_id >= 0 &&
      static_cast<size_t>(o.mount_id) < mountpoints_.size()) {
    fmt::format_to(std::back_inserter(line), "'{}'",
                   mountpoints_[static_cast<size_t>(o.mount_id)]);
  } else {
    fmt::format_to(std::back_inserter(line), "none");
  }
  fmt::format_to(std::back_inserter(line), "){}",
                 o.completed ? "" : " [cut short]");
  log_.Info(std::string_view(line.data(), line.size()));
}

bool Exchange::SendError(Connection* c, int status, std::string_view why) {
  std::string body =
      fmt::format("{} {}: {}\n", status, ReasonPhrase(status), why);
  std::string head = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n",
      status, ReasonPhrase(status), body.size());
  iovec iov[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
  WriteAll(c->fd, Target::kSocket, iov, 2, timeout_ms_);
  return false;
}

}  // namespace subhost::server

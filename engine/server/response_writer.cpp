#include "engine/server/response_writer.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include "engine/server/write_all.h"
#include "engine/text.h"

namespace subhost::server {

namespace {

bool Is(std::string_view a, std::string_view b) {
  return text::EqualsIgnoreCase(a, b);
}

bool SendAll(int fd, iovec* iov, int count, int timeout_ms) {
  return WriteAll(fd, Target::kSocket, iov, count, timeout_ms);
}

}  // namespace

bool ResponseWriter::Start(int status, std::string_view reason,
                           Headers headers) {
  status_ = status;
  reason_.assign(reason);
  headers_ = std::move(headers);
  no_body_ = s_.head_request || status < 200 || status == 204 || status == 304;
  for (const Header& h : headers_) {
    if (Is(h.first, "Content-Length")) {
      std::int64_t n = -1;
      auto r = std::from_chars(h.second.data(), h.second.data() + h.second.size(), n);
      if (r.ec == std::errc() && n >= 0) declared_length_ = n;
    } else if (Is(h.first, "Connection") && Is(h.second, "close")) {
      s_.keep_alive = false;
    }
  }
  return true;
}

void ResponseWriter::ComposeHead(bool empty_body) {
  head_.clear();
  head_.append(s_.protocol == "HTTP/1.0" ? "HTTP/1.0 " : "HTTP/1.1 ");
  char code[8];
  auto r = std::to_chars(code, code + sizeof code, status_);
  head_.append(code, r.ptr).append(1, ' ').append(reason_).append("\r\n");
  for (const Header& h : headers_) {
    // Framing is the server's job: hop-by-hop headers from the app are dropped.
    if (Is(h.first, "Transfer-Encoding") || Is(h.first, "Connection")) continue;
    head_.append(h.first).append(": ").append(h.second).append("\r\n");
  }
  if (declared_length_ < 0 && !no_body_) {
    if (empty_body) {
      head_.append("Content-Length: 0\r\n");
    } else if (s_.chunked_allowed && s_.protocol != "HTTP/1.0") {
      chunked_ = true;
      head_.append("Transfer-Encoding: chunked\r\n");
    } else {
      s_.keep_alive = false;  // the end of the body is the end of the stream
    }
  }
  if (!s_.keep_alive) {
    head_.append("Connection: close\r\n");
  } else if (s_.protocol == "HTTP/1.0") {
    head_.append("Connection: keep-alive\r\n");
  }
  head_.append("\r\n");
}

bool ResponseWriter::SendHeadAnd(std::string_view body) {
  if (failed_) return false;
  iovec iov[4];
  int n = 0;
  char size_line[24];
  if (!head_sent_) {
    ComposeHead(body.empty());
    iov[n++] = {head_.data(), head_.size()};
  }
  if (!body.empty() && !no_body_) {
    if (chunked_) {
      auto r = std::to_chars(size_line, size_line + 16, body.size(), 16);
      *r.ptr++ = '\r';
      *r.ptr++ = '\n';
      iov[n++] = {size_line, static_cast<size_t>(r.ptr - size_line)};
    }
    iov[n++] = {const_cast<char*>(body.data()), body.size()};
    if (chunked_) iov[n++] = {const_cast<char*>("\r\n"), 2};
  }
  std::uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += iov[i].iov_len;
  head_sent_ = true;
  if (n == 0) return true;
  if (!SendAll(s_.fd, iov, n, s_.timeout_ms)) {
    failed_ = true;
    return false;
  }
  bytes_sent_ += total;
  return true;
}

bool ResponseWriter::Write(std::string_view chunk) {
  if (chunk.empty()) return !failed_;
  body_sent_ += chunk.size();
  return SendHeadAnd(chunk);
}

bool ResponseWriter::SendFile(int fd, std::uint64_t offset,
                              std::uint64_t count) {
  if (no_body_ || chunked_ || declared_length_ < 0) {
    // Chunked framing needs a size line per piece: read and write instead.
    return ResponseSink::SendFile(fd, offset, count);
  }
  if (!head_sent_ && !SendHeadAnd({})) return false;
  off_t off = static_cast<off_t>(offset);
  while (count > 0) {
    // sendfile(2): Poco has no zero-copy send; the socket's descriptor is
    // borrowed for it.
    ssize_t n = ::sendfile(s_.fd, fd, &off, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && WaitWritable(s_.fd, s_.timeout_ms)) continue;
      failed_ = true;
      return false;
    }
    if (n == 0) break;  // the file shrank
    count -= static_cast<std::uint64_t>(n);
    body_sent_ += static_cast<std::uint64_t>(n);
    bytes_sent_ += static_cast<std::uint64_t>(n);
  }
  return true;
}

void ResponseWriter::Finish(bool ok) {
  if (failed_) return;
  if (!head_sent_) {
    if (!SendHeadAnd({})) return;
  }
  if (!ok) {
    // Cut short: the peer must not take a truncated body for a whole one.
    failed_ = true;
    return;
  }
  if (chunked_) {
    iovec end = {const_cast<char*>("0\r\n\r\n"), 5};
    if (!SendAll(s_.fd, &end, 1, s_.timeout_ms)) {
      failed_ = true;
      return;
    }
    bytes_sent_ += 5;
  }
  if (declared_length_ >= 0 && !no_body_ &&
      body_sent_ != static_cast<std::uint64_t>(declared_length_)) {
    failed_ = true;  // the app's Content-Length was wrong: do not reuse
  }
}

}  // namespace subhost::server

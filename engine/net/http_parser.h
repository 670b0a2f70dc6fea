// HttpRequestParser: incremental HTTP/1.x request parsing on top of llhttp
// (strict: no lenient flags), with the limits and checks a server needs.
//
// Thread contract: a parser is used by one thread at a time (it may move
// between threads with its connection).
#ifndef SUBHOST_ENGINE_NET_HTTP_PARSER_H_
#define SUBHOST_ENGINE_NET_HTTP_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "subhost/request.h"

namespace subhost::net {

struct HttpHead {
  std::string method;  // "GET"
  std::string target;  // the request-target as sent: "/a%20b?x=1"
  // The target up to '?' (or '#'): "/a%20b". An absolute-form target
  // "http://h/p?q" gives "/p" ("/" when it has no path); "*" stays "*".
  std::string path;
  std::string query;  // after '?', without it (and without any "#...")
  int http_major = 1;
  int http_minor = 1;
  // In order, names as sent, values trimmed of surrounding OWS. Trailers of a
  // chunked body are not added.
  subhost::Headers headers;
  // llhttp_should_keep_alive: HTTP/1.1 on unless "Connection: close",
  // HTTP/1.0 off unless "Connection: keep-alive". Forced off for an HTTP/1.0
  // request with Transfer-Encoding (RFC 9112 6.1: its framing is suspect).
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue" (case-insensitive)
  bool chunked = false;          // Transfer-Encoding: chunked
  std::int64_t content_length = -1;  // -1 when absent
};

struct HttpLimits {
  // Request line + headers, counted from the first byte of the request up to
  // and including the blank line; a head longer than this -> 431. Chunked
  // trailers get the same allowance.
  std::size_t max_head_bytes = 4096;
  // -1: unlimited. A declared Content-Length over it, or chunk sizes adding up
  // to more than it -> 413.
  std::int64_t max_body_bytes = -1;
};

// Incremental HTTP/1.x request parser. Feed it bytes as they arrive; it
// returns one event at a time and how many bytes of the input it consumed, so
// the caller keeps the unconsumed rest and feeds it again. Several requests in
// one buffer (pipelining) come out one after another: after kMessageEnd the
// caller calls NextMessage() and feeds the remaining bytes. Results do not
// depend on how the bytes are split between Feed calls.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(const HttpLimits& limits);
  ~HttpRequestParser();
  HttpRequestParser(HttpRequestParser&&) noexcept;
  HttpRequestParser& operator=(HttpRequestParser&&) noexcept;
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  enum class Event {
    kNeedMore,    // all input consumed, nothing complete yet
    kHead,        // head complete: head() is valid (a body may follow)
    kBody,        // a piece of the (de-chunked) body: step.body views the input
    kMessageEnd,  // the request is complete (also right after kHead when
                  // there is no body); repeated until NextMessage()
    kError,       // step.status is 400, 413, 431 or 501, step.error one line;
                  // the connection must be closed; repeated on every Feed
  };
  struct Step {
    Event event = Event::kNeedMore;
    std::size_t consumed = 0;  // bytes of the input used by this step
    std::string_view body;     // kBody only
    int status = 0;            // kError only
    std::string error;         // kError only
  };

  // At most one event per call. A kBody piece is never empty.
  Step Feed(std::string_view data);
  // Valid from kHead until NextMessage().
  const HttpHead& head() const;
  // Ready for the next request on the same connection.
  void NextMessage();
  // True while no byte of the current request has been consumed (the
  // connection is idle between keep-alive requests).
  bool at_message_start() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;  // heap-held: llhttp keeps a pointer to it
};

}  // namespace subhost::net

#endif  // SUBHOST_ENGINE_NET_HTTP_PARSER_H_

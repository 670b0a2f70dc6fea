// ResponseWriter: the ResponseSink that frames an app's response as HTTP/1.x
// on a client socket: Content-Length when the app gave one, chunked for
// HTTP/1.1 otherwise, close-delimited for HTTP/1.0 and uwsgi peers. The head
// is held back until the first body bytes (or the end), so that a small
// response leaves in one send and an empty one gets Content-Length: 0.
//
// Thread contract: used by the one thread that owns the connection.
#ifndef SUBHOST_ENGINE_SERVER_RESPONSE_WRITER_H_
#define SUBHOST_ENGINE_SERVER_RESPONSE_WRITER_H_

#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "subhost/request.h"

namespace subhost::server {

class ResponseWriter : public ResponseSink {
 public:
  struct Setup {
    int fd;
    int timeout_ms;
    std::string_view protocol;  // "HTTP/1.1", "HTTP/1.0"
    bool keep_alive;            // what the request asked for
    bool head_request;          // HEAD: send no body
    bool chunked_allowed;       // false for uwsgi peers
  };
  explicit ResponseWriter(const Setup& setup) : s_(setup) {}

  bool Start(int status, std::string_view reason, Headers headers) override;
  bool Write(std::string_view chunk) override;
  bool SendFile(int fd, std::uint64_t offset, std::uint64_t count) override;
  void Finish(bool ok) override;
  // Sends on a non-blocking socket never block; waiting for one to drain
  // happens inside a WaitScope.
  bool MayBlock() const override { return false; }

  // After Finish: whether the connection can take another request.
  bool keep_alive() const { return s_.keep_alive && !failed_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  // Composes the head once the framing is known.
  void ComposeHead(bool empty_body);
  bool SendHeadAnd(std::string_view body);

  Setup s_;
  int status_ = 0;
  std::string reason_;
  Headers headers_;
  std::string head_;
  bool head_sent_ = false;
  bool chunked_ = false;
  bool no_body_ = false;  // HEAD, 1xx, 204, 304
  bool failed_ = false;
  std::int64_t declared_length_ = -1;
  std::uint64_t body_sent_ = 0;
  std::uint64_t bytes_sent_ = 0;
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_RESPONSE_WRITER_H_

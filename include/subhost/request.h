// subhost::Request and subhost::Response: plain values handed to and returned by
// Engine::Handle. No Python here: these are all a C++ caller needs.
#ifndef SUBHOST_REQUEST_H_
#define SUBHOST_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost {

using Header = std::pair<std::string, std::string>;
using Headers = std::vector<Header>;

// A request body that arrives while the app runs (from a socket, a spooled
// file...). Read is called with the GIL released (a WaitScope inside it does
// nothing), from the thread that runs the request; it returns the bytes read, 0 at the end of the body, or -1 on
// error (the app then sees an OSError from wsgi.input).
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual std::ptrdiff_t Read(char* buffer, std::size_t size) = 0;
};

struct Request {
  std::string method = "GET";
  // The path as sent by the client, percent-encoded, without the query.
  std::string path = "/";
  // The raw query string, without '?'.
  std::string query;
  Headers headers;
  // The body, when it is all in memory. Ignored when body_reader is set.
  std::string body;
  // Optional streaming body; body_length is then its size, or -1 when unknown
  // (chunked): CONTENT_LENGTH is then left out of the environ.
  std::shared_ptr<BodyReader> body_reader;
  std::int64_t body_length = -1;

  // Connection facts for the environ; the defaults suit an in-process call.
  std::string protocol = "HTTP/1.1";
  std::string scheme = "http";
  std::string remote_addr = "127.0.0.1";
  std::uint16_t remote_port = 0;
  std::string server_name = "localhost";
  std::uint16_t server_port = 80;
};

// How one request through Engine::Handle ended.
enum class RequestResult {
  kServed,         // the app answered and the response went out whole
  kNoMount,        // no mount matched: 404 from the engine, no app called
  kMountFailed,    // the mount's app failed to load: 503 naming the mount
  kBadRequest,     // malformed method, header name or value: 400, no app
  kAppError,       // the app raised: 500, or a response cut short
  kClientGone,     // the sink reported the peer gone (Write returned false)
};

struct Response {
  int status = 0;
  // The reason phrase the app gave ("OK" for "200 OK").
  std::string reason;
  Headers headers;
  std::string body;
  // The mountpoint that served the request ("" for the root app), or empty with
  // mount_id < 0 when no mount matched.
  std::string mountpoint;
  int mount_id = -1;
  // How the request ended: tells "no mount" (404), "the mount's app failed
  // to load" (503), a rejected request (400) and an app error (500) apart.
  RequestResult result = RequestResult::kServed;

  // First value of a header, case-insensitive; empty when absent.
  std::string_view Header(std::string_view name) const;
};

// Receives a response as the app produces it. Every call happens on the thread
// that called Engine::Handle. Start is called exactly once before any Write
// (also for an error response); Write and SendFile return false when the peer
// is gone, after which the app's close() is still called and no more writes
// come. Finish is called last, with ok=false when the response was cut short
// after Start (app error mid-body, peer gone).
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // headers is the sink's to keep (moved in, not copied).
  virtual bool Start(int status, std::string_view reason, Headers headers) = 0;
  virtual bool Write(std::string_view chunk) = 0;
  // Sends count bytes of fd from offset (wsgi.file_wrapper over a real file).
  // The default reads the file and calls Write.
  virtual bool SendFile(int fd, std::uint64_t offset, std::uint64_t count);
  virtual void Finish(bool ok) { (void)ok; }
  // True when Start/Write/SendFile may block (a socket): the engine then
  // releases the interpreter's GIL around them (a WaitScope inside them then
  // has nothing to release and does nothing). Finish is always called with
  // the GIL held: a sink that waits there does so in a WaitScope. An in-memory sink says false.
  virtual bool MayBlock() const { return true; }
};

// Gives up the Python interpreter lock for its lifetime when the calling
// thread holds one through the engine (that is, inside a ResponseSink or
// BodyReader call made by Engine::Handle); otherwise does nothing. A sink
// whose MayBlock() is false writes with the lock held, which is cheapest for
// a non-blocking socket, and wraps only its waits (poll) in a WaitScope.
class WaitScope {
 public:
  WaitScope();
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;

 private:
  void* released_;
};

// What happened to one request, for logs and stats.
struct RequestOutcome {
  int status = 0;
  int mount_id = -1;
  std::uint64_t body_bytes = 0;
  bool app_error = false;  // the app raised (a traceback went to the log)
  bool completed = true;   // false when the response was cut short
  RequestResult result = RequestResult::kServed;
};

}  // namespace subhost

#endif  // SUBHOST_REQUEST_H_

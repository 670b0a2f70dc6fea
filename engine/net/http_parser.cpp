#include "engine/net/http_parser.h"

#include "engine/net/printable.h"
#include "engine/text.h"

#include <fmt/format.h>
#include <llhttp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

namespace subhost::net {

namespace {

using Event = HttpRequestParser::Event;
using Step = HttpRequestParser::Step;

// How many leading bytes of a request are kept to tell an unknown method
// (501) from garbage (400) once llhttp has refused the method.
constexpr std::size_t kMethodSniffBytes = 32;

// RFC 9110 tchar, as a table: it is checked for every byte of every header
// name.
constexpr std::array<bool, 256> kTchar = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();

bool IsTchar(unsigned char c) { return kTchar[c]; }

bool IsOws(char c) { return c == ' ' || c == '\t'; }

using text::EqualsIgnoreCase;

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}


// Position of the first '?' or '#' (or '/' too when `slash`) at or after
// `from`; npos if none. (string_view::find_first_of calls memchr per byte.)
std::size_t FindMark(std::string_view s, std::size_t from, bool slash) {
  for (std::size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '?' || c == '#' || (slash && c == '/')) return i;
  }
  return std::string_view::npos;
}

// Splits a request-target into path and query (see HttpHead).
void SplitTarget(std::string_view target, std::string* path,
                 std::string* query) {
  query->clear();
  if (target == "*") {
    path->assign(target);
    return;
  }
  bool absolute = false;
  if (!target.empty() && target.front() != '/') {
    std::size_t scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      absolute = true;
      std::size_t end = FindMark(target, scheme_end + 3, true);
      target = end == std::string_view::npos ? std::string_view()
                                             : target.substr(end);
    }
  }
  std::size_t mark = FindMark(target, 0, false);
  path->assign(target.substr(0, mark));
  if (absolute && path->empty()) path->assign("/");
  if (mark != std::string_view::npos && target[mark] == '?') {
    std::string_view q = target.substr(mark + 1);
    query->assign(q.substr(0, q.find('#')));
  }
}

}  // namespace

class HttpRequestParser::Impl {
 public:
  explicit Impl(const HttpLimits& limits) : limits_(limits) {
    llhttp_init(&parser_, HTTP_REQUEST, &Settings());
    parser_.data = this;
  }

  Step Feed(std::string_view data);
  void NextMessage();
  const HttpHead& head() const { return head_; }
  bool at_message_start() const {
    return phase_ == Phase::kHead && consumed_ == 0;
  }

 private:
  enum class Phase {
    kHead,          // request line and headers
    kBody,          // body bytes or chunks, trailers
    kEndPending,    // the body is complete; kMessageEnd is next
    kDone,          // kMessageEnd was returned
    kMethodSniff,   // llhttp refused the method: unknown token or garbage?
    kFailed,        // kError was returned
  };

  static const llhttp_settings_t& Settings();
  static Impl* From(llhttp_t* p) { return static_cast<Impl*>(p->data); }
  static int OnUrl(llhttp_t* p, const char* at, std::size_t length);
  static int OnHeaderField(llhttp_t* p, const char* at, std::size_t length);
  static int OnHeaderValue(llhttp_t* p, const char* at, std::size_t length);
  static int OnHeadersComplete(llhttp_t* p);
  static int OnChunkHeader(llhttp_t* p);
  static int OnBody(llhttp_t* p, const char* at, std::size_t length);
  static int OnMessageComplete(llhttp_t* p);

  Step FeedHead(std::string_view data);
  Step FeedBody(std::string_view data);
  Step SniffMethod(std::string_view data, std::size_t already_consumed);
  // Looks at head bytes llhttp accepted; false on obs-fold (or whitespace
  // before the first header), which llhttp lets through.
  bool ScanHead(std::string_view bytes);
  // Inside a callback: records the error and returns what makes llhttp stop.
  int Reject(int status, std::string error);
  bool CheckTrailerBytes(std::size_t length);
  int FinishHead();
  std::size_t ErrorOffset(const char* base, std::size_t n) const;
  Step Fail(int status, std::string error, std::size_t consumed);
  Step FailFromLlhttp(llhttp_errno_t err, std::size_t consumed);
  Step HeadTooLarge(std::size_t consumed) {
    return Fail(431,
                fmt::format("request head larger than {} bytes",
                            limits_.max_head_bytes),
                consumed);
  }
  static Step Simple(Event event, std::size_t consumed) {
    Step step;
    step.event = event;
    step.consumed = consumed;
    return step;
  }

  HttpLimits limits_;
  llhttp_t parser_;
  Phase phase_ = Phase::kHead;
  HttpHead head_;
  std::size_t consumed_ = 0;  // bytes of the current request consumed so far
  std::size_t header_count_ = 0;  // head_.headers in use for this request
  bool last_was_value_ = true;  // header callbacks: a new field starts a pair
  bool request_begun_ = false;  // past llhttp's skipped leading CR/LF
  bool line_start_ = false;     // the last head byte scanned was LF
  std::string method_sniff_;    // the request's first bytes (see kMethodSniff)
  Event pending_ = Event::kNeedMore;  // set by a pausing callback
  std::string_view pending_body_;
  int own_status_ = 0;  // an error found by our own callbacks
  std::string own_error_;
  std::int64_t body_left_ = 0;    // Content-Length body still to come
  std::int64_t chunked_total_ = 0;  // sum of chunk sizes announced so far
  std::size_t trailer_bytes_ = 0;
  Step failure_;  // replayed after kError
};

const llhttp_settings_t& HttpRequestParser::Impl::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_url = &Impl::OnUrl;
    s.on_header_field = &Impl::OnHeaderField;
    s.on_header_value = &Impl::OnHeaderValue;
    s.on_headers_complete = &Impl::OnHeadersComplete;
    s.on_chunk_header = &Impl::OnChunkHeader;
    s.on_body = &Impl::OnBody;
    s.on_message_complete = &Impl::OnMessageComplete;
    return s;
  }();
  return settings;
}

int HttpRequestParser::Impl::OnUrl(llhttp_t* p, const char* at,
                                   std::size_t length) {
  From(p)->head_.target.append(at, length);
  return 0;
}

bool HttpRequestParser::Impl::CheckTrailerBytes(std::size_t length) {
  trailer_bytes_ += length;
  if (trailer_bytes_ <= limits_.max_head_bytes) return true;
  Reject(431, fmt::format("chunked trailers larger than {} bytes",
                          limits_.max_head_bytes));
  return false;
}

int HttpRequestParser::Impl::OnHeaderField(llhttp_t* p, const char* at,
                                           std::size_t length) {
  Impl* self = From(p);
  if (self->phase_ != Phase::kHead) {  // a trailer: counted, not kept
    return self->CheckTrailerBytes(length) ? 0 : HPE_USER;
  }
  Headers& headers = self->head_.headers;
  if (self->last_was_value_) {
    // Slots left from the previous request keep their strings' capacity.
    if (self->header_count_ < headers.size()) {
      headers[self->header_count_].first.clear();
      headers[self->header_count_].second.clear();
    } else {
      headers.emplace_back();
    }
    ++self->header_count_;
    self->last_was_value_ = false;
  }
  headers[self->header_count_ - 1].first.append(at, length);
  return 0;
}

int HttpRequestParser::Impl::OnHeaderValue(llhttp_t* p, const char* at,
                                           std::size_t length) {
  Impl* self = From(p);
  if (self->phase_ != Phase::kHead) {
    return self->CheckTrailerBytes(length) ? 0 : HPE_USER;
  }
  self->last_was_value_ = true;
  if (self->header_count_ > 0) {
    self->head_.headers[self->header_count_ - 1].second.append(at, length);
  }
  return 0;
}

int HttpRequestParser::Impl::Reject(int status, std::string error) {
  own_status_ = status;
  own_error_ = std::move(error);
  return HPE_USER;
}

int HttpRequestParser::Impl::OnHeadersComplete(llhttp_t* p) {
  return From(p)->FinishHead();
}

int HttpRequestParser::Impl::FinishHead() {
  HttpHead& h = head_;
  h.headers.resize(header_count_);
  h.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  h.http_major = parser_.http_major;
  h.http_minor = parser_.http_minor;
  if (h.http_major != 1) {
    return Reject(400, fmt::format("unsupported HTTP version {}.{} (this "
                                   "server speaks HTTP/1.0 and HTTP/1.1)",
                                   h.http_major, h.http_minor));
  }
  if (parser_.method == HTTP_CONNECT) {
    return Reject(501, "method CONNECT is not supported");
  }

  std::string te;  // all Transfer-Encoding values, joined with ','
  for (auto& [name, value] : h.headers) {
    if (name.empty()) return Reject(400, "empty header name");
    for (unsigned char c : name) {
      if (!IsTchar(c)) {
        return Reject(400, fmt::format("invalid character in header name "
                                       "\"{}\"",
                                       Printable(name)));
      }
    }
    std::string_view trimmed = TrimOws(value);
    if (trimmed.size() != value.size()) {
      value.assign(trimmed.data(), trimmed.size());
    }
    if (EqualsIgnoreCase(name, "expect")) {
      if (EqualsIgnoreCase(value, "100-continue")) h.expect_continue = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      if (!te.empty()) te += ',';
      te += value;
    }
  }

  h.keep_alive = llhttp_should_keep_alive(&parser_) != 0;

  if (parser_.flags & F_TRANSFER_ENCODING) {
    // RFC 9112 6.3: chunked must be the final coding of a request (else 400);
    // any other coding is one this server does not implement (501).
    std::string_view last;
    std::string_view other;  // the first coding before the last one that
                             // is not chunked
    for (std::string_view rest = te;;) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = TrimOws(rest.substr(0, comma));
      if (!item.empty()) {
        if (!last.empty() && other.empty() &&
            !EqualsIgnoreCase(last, "chunked")) {
          other = last;
        }
        last = item;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (!EqualsIgnoreCase(last, "chunked")) {
      return Reject(400, fmt::format("Transfer-Encoding \"{}\" does not end "
                                     "in chunked",
                                     Printable(te)));
    }
    if (!other.empty()) {
      return Reject(501, fmt::format("unsupported Transfer-Encoding \"{}\"",
                                     Printable(other)));
    }
    h.chunked = true;
    if (h.http_minor == 0) h.keep_alive = false;
  } else if (parser_.flags & F_CONTENT_LENGTH) {
    if (parser_.content_length >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Reject(413, fmt::format("Content-Length {} is too large",
                                     parser_.content_length));
    }
    h.content_length = static_cast<std::int64_t>(parser_.content_length);
    if (limits_.max_body_bytes >= 0 &&
        h.content_length > limits_.max_body_bytes) {
      return Reject(413, fmt::format("request body of {} bytes is over the "
                                     "limit of {}",
                                     h.content_length, limits_.max_body_bytes));
    }
    body_left_ = h.content_length;
  }

  SplitTarget(h.target, &h.path, &h.query);
  pending_ = Event::kHead;
  return HPE_PAUSED;
}

int HttpRequestParser::Impl::OnChunkHeader(llhttp_t* p) {
  Impl* self = From(p);
  const std::uint64_t size = p->content_length;
  const std::int64_t max = self->limits_.max_body_bytes;
  if (max >= 0 &&
      size > static_cast<std::uint64_t>(max - self->chunked_total_)) {
    return self->Reject(
        413, fmt::format("chunked request body over the limit of {} bytes",
                         max));
  }
  // Without a limit llhttp's own overflow check bounds each size; the sum
  // saturates instead of overflowing.
  const auto room = static_cast<std::uint64_t>(
      std::numeric_limits<std::int64_t>::max() - self->chunked_total_);
  self->chunked_total_ += static_cast<std::int64_t>(std::min(size, room));
  return 0;
}

int HttpRequestParser::Impl::OnBody(llhttp_t* p, const char* at,
                                    std::size_t length) {
  if (length == 0) return 0;
  Impl* self = From(p);
  self->pending_ = Event::kBody;
  self->pending_body_ = std::string_view(at, length);
  return HPE_PAUSED;
}

int HttpRequestParser::Impl::OnMessageComplete(llhttp_t* p) {
  From(p)->pending_ = Event::kMessageEnd;
  return HPE_PAUSED;
}

std::size_t HttpRequestParser::Impl::ErrorOffset(const char* base,
                                                 std::size_t n) const {
  const char* pos = llhttp_get_error_pos(&parser_);
  if (pos == nullptr || pos < base) return 0;
  return std::min(static_cast<std::size_t>(pos - base), n);
}

Step HttpRequestParser::Impl::Fail(int status, std::string error,
                                   std::size_t consumed) {
  phase_ = Phase::kFailed;
  failure_ = Simple(Event::kError, 0);
  failure_.status = status;
  failure_.error = std::move(error);
  Step step = failure_;
  step.consumed = consumed;
  return step;
}

Step HttpRequestParser::Impl::FailFromLlhttp(llhttp_errno_t err,
                                             std::size_t consumed) {
  if (own_status_ != 0) return Fail(own_status_, own_error_, consumed);
  if (err == HPE_PAUSED_H2_UPGRADE) {
    return Fail(400,
                "HTTP/2 connection preface received; this server speaks "
                "HTTP/1.1 only",
                consumed);
  }
  const char* reason = llhttp_get_error_reason(&parser_);
  std::string text = "malformed request: ";
  text += reason != nullptr && *reason != '\0' ? reason
                                               : llhttp_errno_name(err);
  return Fail(400, std::move(text), consumed);
}

bool HttpRequestParser::Impl::ScanHead(std::string_view bytes) {
  const char* b = bytes.data();
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (!request_begun_ && i < n) {
    if (b[i] != '\r' && b[i] != '\n') {
      request_begun_ = true;
    } else {
      ++i;
    }
  }
  if (i == n) return true;
  if (method_sniff_.size() < kMethodSniffBytes) {
    method_sniff_.append(
        b + i, std::min(n - i, kMethodSniffBytes - method_sniff_.size()));
  }
  if (line_start_ && IsOws(b[i])) return false;
  for (;;) {
    const void* lf = std::memchr(b + i, '\n', n - i);
    if (lf == nullptr) {
      line_start_ = false;
      return true;
    }
    const std::size_t next = static_cast<const char*>(lf) - b + 1;
    if (next == n) {
      line_start_ = true;
      return true;
    }
    if (IsOws(b[next])) return false;
    i = next;
  }
}

Step HttpRequestParser::Impl::FeedHead(std::string_view data) {
  if (data.empty()) return Simple(Event::kNeedMore, 0);
  const std::size_t room = limits_.max_head_bytes - consumed_;
  if (room == 0) {
    return HeadTooLarge(0);
  }
  const std::size_t n = std::min(data.size(), room);
  const llhttp_errno_t err = llhttp_execute(&parser_, data.data(), n);
  const std::size_t used = err == HPE_OK ? n : ErrorOffset(data.data(), n);
  if (!ScanHead(data.substr(0, used))) {
    return Fail(400, "obs-fold (a header line starting with whitespace)",
                used);
  }
  consumed_ += used;
  switch (err) {
    case HPE_OK:
      if (n < data.size()) {
        return HeadTooLarge(n);
      }
      return Simple(Event::kNeedMore, n);
    case HPE_PAUSED: {
      llhttp_resume(&parser_);
      const bool has_body = head_.chunked || head_.content_length > 0;
      phase_ = has_body ? Phase::kBody : Phase::kEndPending;
      return Simple(Event::kHead, used);
    }
    case HPE_INVALID_METHOD:
      if (own_status_ == 0) {
        phase_ = Phase::kMethodSniff;
        return SniffMethod(data.substr(used), used);
      }
      [[fallthrough]];
    default:
      return FailFromLlhttp(err, used);
  }
}

Step HttpRequestParser::Impl::SniffMethod(std::string_view data,
                                          std::size_t already_consumed) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(data[i]);
    const std::size_t consumed = already_consumed + i + 1;
    if (c == ' ' && !method_sniff_.empty()) {
      return Fail(501,
                  fmt::format("unsupported method \"{}\"",
                              Printable(method_sniff_)),
                  consumed);
    }
    if (!IsTchar(c) || method_sniff_.size() >= kMethodSniffBytes) {
      method_sniff_ += static_cast<char>(c);
      if (method_sniff_[0] == '\x16') {
        return Fail(400,
                    "TLS handshake on a plain-HTTP socket (terminate TLS in "
                    "a proxy in front)",
                    consumed);
      }
      return Fail(400,
                  fmt::format("malformed request line starting \"{}\"",
                              Printable(method_sniff_)),
                  consumed);
    }
    method_sniff_ += static_cast<char>(c);
  }
  return Simple(Event::kNeedMore, already_consumed + data.size());
}

Step HttpRequestParser::Impl::FeedBody(std::string_view data) {
  if (data.empty()) return Simple(Event::kNeedMore, 0);
  const llhttp_errno_t err =
      llhttp_execute(&parser_, data.data(), data.size());
  if (err == HPE_OK) return Simple(Event::kNeedMore, data.size());
  const std::size_t used = ErrorOffset(data.data(), data.size());
  if (err != HPE_PAUSED) return FailFromLlhttp(err, used);
  llhttp_resume(&parser_);
  if (pending_ == Event::kBody) {
    Step step = Simple(Event::kBody, used);
    step.body = pending_body_;
    if (!head_.chunked) {
      body_left_ -= static_cast<std::int64_t>(step.body.size());
      if (body_left_ <= 0) phase_ = Phase::kEndPending;
    }
    return step;
  }
  phase_ = Phase::kDone;
  return Simple(Event::kMessageEnd, used);
}

Step HttpRequestParser::Impl::Feed(std::string_view data) {
  switch (phase_) {
    case Phase::kHead:
      return FeedHead(data);
    case Phase::kBody:
      return FeedBody(data);
    case Phase::kEndPending:
      phase_ = Phase::kDone;
      return Simple(Event::kMessageEnd, 0);
    case Phase::kDone:
      return Simple(Event::kMessageEnd, 0);
    case Phase::kMethodSniff:
      return SniffMethod(data, 0);
    case Phase::kFailed:
      break;
  }
  return failure_;
}

void HttpRequestParser::Impl::NextMessage() {
  llhttp_reset(&parser_);
  phase_ = Phase::kHead;
  head_.method.clear();
  head_.target.clear();
  head_.path.clear();
  head_.query.clear();
  head_.http_major = 1;
  head_.http_minor = 1;
  header_count_ = 0;  // head_.headers is trimmed to it at the next head
  head_.keep_alive = true;
  head_.expect_continue = false;
  head_.chunked = false;
  head_.content_length = -1;
  consumed_ = 0;
  last_was_value_ = true;
  request_begun_ = false;
  line_start_ = false;
  method_sniff_.clear();
  pending_ = Event::kNeedMore;
  pending_body_ = {};
  own_status_ = 0;
  own_error_.clear();
  body_left_ = 0;
  chunked_total_ = 0;
  trailer_bytes_ = 0;
  failure_ = Step();
}

HttpRequestParser::HttpRequestParser(const HttpLimits& limits)
    : impl_(std::make_unique<Impl>(limits)) {}
HttpRequestParser::~HttpRequestParser() = default;
HttpRequestParser::HttpRequestParser(HttpRequestParser&&) noexcept = default;
HttpRequestParser& HttpRequestParser::operator=(HttpRequestParser&&) noexcept =
    default;

HttpRequestParser::Step HttpRequestParser::Feed(std::string_view data) {
  return impl_->Feed(data);
}
const HttpHead& HttpRequestParser::head() const { return impl_->head(); }
void HttpRequestParser::NextMessage() { impl_->NextMessage(); }
bool HttpRequestParser::at_message_start() const {
  return impl_->at_message_start();
}

}  // namespace subhost::net

#include "engine/net/http_parser.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost::net {
namespace {

using Event = HttpRequestParser::Event;
using Step = HttpRequestParser::Step;

struct Message {
  HttpHead head;
  std::string body;
  int body_pieces = 0;
  bool complete = false;
};

struct Parsed {
  std::vector<Message> messages;
  int status = 0;  // of a kError
  std::string error;
};

std::string Describe(const Parsed& p) {
  std::string out;
  for (const Message& m : p.messages) {
    const HttpHead& h = m.head;
    out += h.method + " target=" + h.target + " path=" + h.path +
           " query=" + h.query + " HTTP/" + std::to_string(h.http_major) +
           "." + std::to_string(h.http_minor) +
           " keep_alive=" + std::to_string(h.keep_alive) +
           " continue=" + std::to_string(h.expect_continue) +
           " chunked=" + std::to_string(h.chunked) +
           " length=" + std::to_string(h.content_length) + "\n";
    for (const auto& [k, v] : h.headers) out += "  [" + k + "]=[" + v + "]\n";
    out += "  body=[" + m.body + "] complete=" + std::to_string(m.complete) +
           "\n";
  }
  if (p.status != 0) {
    out += "error " + std::to_string(p.status) + ": " + p.error + "\n";
  }
  return out;
}

// Drives a parser the way a server does: appends `chunk` bytes at a time
// (0: everything at once) to a buffer, feeds the unconsumed rest until the
// parser needs more, and starts the next message after each kMessageEnd.
Parsed Parse(std::string_view input, std::size_t chunk = 0,
             const HttpLimits& limits = HttpLimits()) {
  HttpRequestParser parser(limits);
  Parsed out;
  std::string buffer;
  std::size_t fed = 0;
  for (;;) {
    for (bool more = true; more;) {
      const Step step = parser.Feed(buffer);
      EXPECT_LE(step.consumed, buffer.size());
      switch (step.event) {
        case Event::kNeedMore:
          EXPECT_EQ(step.consumed, buffer.size());
          more = false;
          break;
        case Event::kHead:
          out.messages.push_back(Message{parser.head(), "", 0, false});
          break;
        case Event::kBody:
          EXPECT_FALSE(step.body.empty());
          EXPECT_GE(step.body.data(), buffer.data());
          EXPECT_LE(step.body.data() + step.body.size(),
                    buffer.data() + buffer.size());
          if (out.messages.empty()) {
            ADD_FAILURE() << "kBody before kHead";
            return out;
          }
          out.messages.back().body.append(step.body);
          ++out.messages.back().body_pieces;
          break;
        case Event::kMessageEnd:
          if (out.messages.empty()) {
            ADD_FAILURE() << "kMessageEnd before kHead";
            return out;
          }
          out.messages.back().complete = true;
          parser.NextMessage();
          EXPECT_TRUE(parser.at_message_start());
          break;
        case Event::kError:
          EXPECT_NE(step.status, 0);
          EXPECT_FALSE(step.error.empty());
          EXPECT_EQ(step.error.find('\n'), std::string::npos);
          out.status = step.status;
          out.error = step.error;
          return out;
      }
      buffer.erase(0, step.consumed);
    }
    if (fed == input.size()) return out;
    const std::size_t n = chunk == 0 ? input.size() - fed
                                     : std::min(chunk, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
  }
}

// Parses whole, byte by byte and 7 bytes at a time; all must agree.
Parsed ParseAllWays(std::string_view input,
                    const HttpLimits& limits = HttpLimits()) {
  Parsed whole = Parse(input, 0, limits);
  const std::string expected = Describe(whole);
  EXPECT_EQ(Describe(Parse(input, 1, limits)), expected) << "byte by byte";
  EXPECT_EQ(Describe(Parse(input, 7, limits)), expected) << "7-byte pieces";
  return whole;
}

TEST(HttpParserTest, SimpleGet) {
  const std::string req =
      "GET /a%20b?x=1&y HTTP/1.1\r\n"
      "Host: example.com\r\n"
      "User-Agent: test/1.0\r\n"
      "accept: */*\r\n"
      "\r\n";
  HttpRequestParser parser{HttpLimits()};
  EXPECT_TRUE(parser.at_message_start());
  Step step = parser.Feed(req);
  ASSERT_EQ(step.event, Event::kHead) << step.error;
  EXPECT_EQ(step.consumed, req.size());
  const HttpHead& h = parser.head();
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a%20b?x=1&y");
  EXPECT_EQ(h.path, "/a%20b");
  EXPECT_EQ(h.query, "x=1&y");
  EXPECT_EQ(h.http_major, 1);
  EXPECT_EQ(h.http_minor, 1);
  const Headers expected = {{"Host", "example.com"},
                            {"User-Agent", "test/1.0"},
                            {"accept", "*/*"}};
  EXPECT_EQ(h.headers, expected);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.chunked);
  EXPECT_EQ(h.content_length, -1);
  EXPECT_FALSE(parser.at_message_start());

  step = parser.Feed("");
  EXPECT_EQ(step.event, Event::kMessageEnd);
  EXPECT_EQ(step.consumed, 0u);
  // Repeated until NextMessage().
  step = parser.Feed("GET");
  EXPECT_EQ(step.event, Event::kMessageEnd);
  EXPECT_EQ(step.consumed, 0u);
  parser.NextMessage();
  EXPECT_TRUE(parser.at_message_start());
  step = parser.Feed("GET");
  EXPECT_EQ(step.event, Event::kNeedMore);
  EXPECT_EQ(step.consumed, 3u);
  EXPECT_FALSE(parser.at_message_start());
}

TEST(HttpParserTest, HeadArrivingInPiecesNeedsMore) {
  HttpRequestParser parser{HttpLimits()};
  EXPECT_EQ(parser.Feed("").event, Event::kNeedMore);
  Step step = parser.Feed("GET / HTTP/1.1\r\nHo");
  EXPECT_EQ(step.event, Event::kNeedMore);
  EXPECT_EQ(step.consumed, 18u);
  step = parser.Feed("st: x\r\n\r");
  EXPECT_EQ(step.event, Event::kNeedMore);
  step = parser.Feed("\n");
  ASSERT_EQ(step.event, Event::kHead);
  EXPECT_EQ(step.consumed, 1u);
  EXPECT_EQ(parser.head().headers, (Headers{{"Host", "x"}}));
}

TEST(HttpParserTest, HeaderValuesAreTrimmedAndMayBeEmpty) {
  Parsed p = ParseAllWays(
      "GET / HTTP/1.1\r\n"
      "X-A:  padded \t \r\n"
      "X-B:\r\n"
      "X-C: \r\n"
      "X-D: inner  space\r\n"
      "X-Utf8: caf\xc3\xa9\r\n"
      "X-A: again\r\n"
      "\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 1u);
  const Headers expected = {{"X-A", "padded"},          {"X-B", ""},
                            {"X-C", ""},                {"X-D", "inner  space"},
                            {"X-Utf8", "caf\xc3\xa9"}, {"X-A", "again"}};
  EXPECT_EQ(p.messages[0].head.headers, expected);
}

TEST(HttpParserTest, ContentLengthBody) {
  const std::string req =
      "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world";
  HttpRequestParser parser{HttpLimits()};
  Step step = parser.Feed(req);
  ASSERT_EQ(step.event, Event::kHead);
  EXPECT_EQ(parser.head().content_length, 11);
  std::string_view rest = std::string_view(req).substr(step.consumed);
  step = parser.Feed(rest);
  ASSERT_EQ(step.event, Event::kBody);
  EXPECT_EQ(step.body, "hello world");
  EXPECT_EQ(step.body.data(), rest.data());  // a view into the input
  EXPECT_EQ(step.consumed, 11u);
  step = parser.Feed("");
  EXPECT_EQ(step.event, Event::kMessageEnd);
  EXPECT_EQ(step.consumed, 0u);

  Parsed p = ParseAllWays(req);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].body, "hello world");
  EXPECT_TRUE(p.messages[0].complete);
}

TEST(HttpParserTest, BodyInSeveralFeeds) {
  HttpRequestParser parser{HttpLimits()};
  ASSERT_EQ(parser.Feed("PUT /x HTTP/1.1\r\nContent-Length: 6\r\n\r\n").event,
            Event::kHead);
  Step step = parser.Feed("ab");
  ASSERT_EQ(step.event, Event::kBody);
  EXPECT_EQ(step.body, "ab");
  step = parser.Feed("cdefGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(step.event, Event::kBody);
  EXPECT_EQ(step.body, "cdef");
  EXPECT_EQ(step.consumed, 4u);
  EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\n\r\n").event, Event::kMessageEnd);
}

TEST(HttpParserTest, NoContentLengthMeansNoBody) {
  Parsed p = ParseAllWays(
      "POST /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[0].head.method, "POST");
  EXPECT_EQ(p.messages[0].body, "");
  EXPECT_TRUE(p.messages[0].complete);
  EXPECT_EQ(p.messages[1].head.path, "/b");

  p = ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].head.content_length, 0);
  EXPECT_TRUE(p.messages[0].complete);
}

TEST(HttpParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string req =
      "POST /up HTTP/1.1\r\n"
      "Host: h\r\n"
      "Transfer-Encoding: chunked\r\n"
      "\r\n"
      "5;name=value\r\nhello\r\n"
      "6;a;b=\"q;uoted\"\r\n world\r\n"
      "A\r\n0123456789\r\n"
      "0;last\r\n"
      "X-Trailer: t\r\n"
      "Other: u\r\n"
      "\r\n";
  HttpRequestParser parser{HttpLimits()};
  Step step = parser.Feed(req);
  ASSERT_EQ(step.event, Event::kHead);
  EXPECT_TRUE(parser.head().chunked);
  EXPECT_EQ(parser.head().content_length, -1);
  // One body piece per Feed call, even with all chunks in the buffer.
  std::string_view rest = std::string_view(req).substr(step.consumed);
  std::vector<std::string> pieces;
  for (;;) {
    step = parser.Feed(rest);
    rest.remove_prefix(step.consumed);
    if (step.event != Event::kBody) break;
    pieces.emplace_back(step.body);
  }
  EXPECT_EQ(step.event, Event::kMessageEnd);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(pieces,
            (std::vector<std::string>{"hello", " world", "0123456789"}));
  // Trailers are not added to the head.
  EXPECT_EQ(parser.head().headers.size(), 2u);

  Parsed p = ParseAllWays(req);
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].body, "hello world0123456789");
  EXPECT_TRUE(p.messages[0].complete);
}

TEST(HttpParserTest, ChunkedEncodingNameIsCaseInsensitive) {
  Parsed p = ParseAllWays(
      "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_TRUE(p.messages[0].head.chunked);
  EXPECT_EQ(p.messages[0].body, "abc");
}

TEST(HttpParserTest, ExpectContinue) {
  Parsed p = ParseAllWays(
      "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok"
      "POST / HTTP/1.1\r\nexpect: 100-continue\r\nContent-Length: 0\r\n\r\n"
      "POST / HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\n"
      "GET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 4u);
  EXPECT_TRUE(p.messages[0].head.expect_continue);
  EXPECT_EQ(p.messages[0].body, "ok");
  EXPECT_TRUE(p.messages[1].head.expect_continue);
  EXPECT_FALSE(p.messages[2].head.expect_continue);
  EXPECT_FALSE(p.messages[3].head.expect_continue);
}

TEST(HttpParserTest, KeepAliveDefaults) {
  struct Case {
    const char* request;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: close\r\n\r\n", false},
      // RFC 9112 6.1: an HTTP/1.0 request with Transfer-Encoding closes.
      {"POST / HTTP/1.0\r\nConnection: keep-alive\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       false},
  };
  for (const Case& c : cases) {
    Parsed p = ParseAllWays(c.request);
    ASSERT_EQ(p.status, 0) << c.request << p.error;
    ASSERT_EQ(p.messages.size(), 1u) << c.request;
    EXPECT_EQ(p.messages[0].head.keep_alive, c.keep_alive) << c.request;
    EXPECT_TRUE(p.messages[0].complete) << c.request;
  }
  Parsed p = ParseAllWays("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(p.messages[0].head.http_minor, 0);
}

TEST(HttpParserTest, TargetForms) {
  struct Case {
    const char* request_line;
    const char* path;
    const char* query;
  };
  const Case cases[] = {
      {"GET /p HTTP/1.1", "/p", ""},
      {"GET /p? HTTP/1.1", "/p", ""},
      {"GET /a/b?x=1&y=%20 HTTP/1.1", "/a/b", "x=1&y=%20"},
      {"GET /a?b?c HTTP/1.1", "/a", "b?c"},
      {"GET /a#frag HTTP/1.1", "/a", ""},
      {"GET /a?q#frag HTTP/1.1", "/a", "q"},
      {"GET http://example.com/p/q?x=1 HTTP/1.1", "/p/q", "x=1"},
      {"GET http://example.com:8080/p HTTP/1.1", "/p", ""},
      {"GET http://example.com HTTP/1.1", "/", ""},
      {"GET http://example.com?x=2 HTTP/1.1", "/", "x=2"},
      {"GET https://user@example.com/s%2Fx?y HTTP/1.1", "/s%2Fx", "y"},
      {"OPTIONS * HTTP/1.1", "*", ""},
  };
  for (const Case& c : cases) {
    Parsed p = ParseAllWays(std::string(c.request_line) + "\r\nHost: h\r\n\r\n");
    ASSERT_EQ(p.status, 0) << c.request_line << ": " << p.error;
    ASSERT_EQ(p.messages.size(), 1u);
    const HttpHead& h = p.messages[0].head;
    std::string_view line = c.request_line;
    line.remove_prefix(line.find(' ') + 1);
    EXPECT_EQ(h.target, line.substr(0, line.find(' '))) << c.request_line;
    EXPECT_EQ(h.path, c.path) << c.request_line;
    EXPECT_EQ(h.query, c.query) << c.request_line;
  }
}

TEST(HttpParserTest, Methods) {
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                             "OPTIONS", "TRACE", "PROPFIND", "MKCOL"}) {
    Parsed p = ParseAllWays(std::string(method) + " / HTTP/1.1\r\n\r\n");
    ASSERT_EQ(p.status, 0) << method << ": " << p.error;
    ASSERT_EQ(p.messages.size(), 1u);
    EXPECT_EQ(p.messages[0].head.method, method);
  }
}

TEST(HttpParserTest, PipelinedRequests) {
  const std::string buffer =
      "GET /one HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /two?z HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody"
      "DELETE /three HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  Parsed p = ParseAllWays(buffer);
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 3u);
  EXPECT_EQ(p.messages[0].head.path, "/one");
  EXPECT_EQ(p.messages[0].body, "");
  EXPECT_EQ(p.messages[1].head.method, "POST");
  EXPECT_EQ(p.messages[1].head.query, "z");
  EXPECT_EQ(p.messages[1].body, "body");
  EXPECT_EQ(p.messages[1].body_pieces, 1);
  EXPECT_EQ(p.messages[2].head.method, "DELETE");
  EXPECT_FALSE(p.messages[2].head.keep_alive);
  for (const Message& m : p.messages) {
    EXPECT_TRUE(m.complete);
    EXPECT_EQ(m.head.headers[0], (Header{"Host", "h"}));
  }

  // Event by event on one buffer: the consumed counts add up.
  HttpRequestParser parser{HttpLimits()};
  std::string_view rest = buffer;
  std::vector<Event> events;
  while (!rest.empty()) {
    Step step = parser.Feed(rest);
    ASSERT_NE(step.event, Event::kError) << step.error;
    rest.remove_prefix(step.consumed);
    events.push_back(step.event);
    if (step.event == Event::kMessageEnd) parser.NextMessage();
  }
  EXPECT_EQ(events, (std::vector<Event>{Event::kHead, Event::kMessageEnd,
                                        Event::kHead, Event::kBody,
                                        Event::kMessageEnd, Event::kHead}));
}

TEST(HttpParserTest, HeadersDoNotLeakIntoTheNextRequest) {
  Parsed p = ParseAllWays(
      "GET /1 HTTP/1.1\r\nA: a-long-value-past-the-small-string-size\r\n"
      "B: b\r\nC: c\r\n\r\n"
      "GET /2 HTTP/1.1\r\nD: d\r\n\r\n"
      "GET /3 HTTP/1.1\r\n\r\n"
      "GET /4 HTTP/1.1\r\nE: e\r\nF: f\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 4u);
  EXPECT_EQ(p.messages[0].head.headers,
            (Headers{{"A", "a-long-value-past-the-small-string-size"},
                     {"B", "b"},
                     {"C", "c"}}));
  EXPECT_EQ(p.messages[1].head.headers, (Headers{{"D", "d"}}));
  EXPECT_TRUE(p.messages[2].head.headers.empty());
  EXPECT_EQ(p.messages[3].head.headers, (Headers{{"E", "e"}, {"F", "f"}}));
}

TEST(HttpParserTest, PipelinedChunkedThenGet) {
  Parsed p = ParseAllWays(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n"
      "GET /after HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[0].body, "wikipedia");
  EXPECT_EQ(p.messages[1].head.path, "/after");
  EXPECT_TRUE(p.messages[1].complete);
}

TEST(HttpParserTest, LeadingEmptyLineBeforeRequestIsTolerated) {
  Parsed p = ParseAllWays(
      "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\n"
      "GET /next HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[1].head.path, "/next");
}

TEST(HttpParserTest, UpgradeRequestIsAnOrdinaryRequest) {
  Parsed p = ParseAllWays(
      "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
      "GET /next HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.messages[0].head.headers[0], (Header{"Upgrade", "websocket"}));
  EXPECT_EQ(p.messages[1].head.path, "/next");
}

struct Rejected {
  const char* name;
  std::string request;
  int status;
  const char* error_part;
};

void PrintTo(const Rejected& r, std::ostream* os) { *os << r.name; }

class HttpParserRejectTest : public testing::TestWithParam<Rejected> {};

TEST_P(HttpParserRejectTest, Rejects) {
  const Rejected& r = GetParam();
  Parsed p = ParseAllWays(r.request);
  EXPECT_EQ(p.status, r.status) << Describe(p);
  EXPECT_NE(p.error.find(r.error_part), std::string::npos) << p.error;
}

const char kChunkedHead[] =
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(
    Shapes, HttpParserRejectTest,
    testing::Values(
        // Request line.
        Rejected{"SpaceInTarget", "GET /a b HTTP/1.1\r\n\r\n", 400, "HTTP/"},
        Rejected{"NoVersion", "GET /\r\n\r\n", 400, "version"},  // 0.9
        Rejected{"BadVersion", "GET / HTTP/1.2\r\n\r\n", 400, "version"},
        Rejected{"VersionGarbage", "GET / HTTX/1.1\r\n\r\n", 400,
                 "malformed"},
        Rejected{"Http2RequestLine", "GET / HTTP/2.0\r\n\r\n", 400,
                 "HTTP version 2.0"},
        Rejected{"Http09", "GET / HTTP/0.9\r\n\r\n", 400, "HTTP version 0.9"},
        Rejected{"Http2Preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400,
                 "HTTP/2"},
        Rejected{"ControlCharInTarget", "GET /\x7f HTTP/1.1\r\n\r\n", 400,
                 "url"},
        Rejected{"TlsHandshake", std::string("\x16\x03\x01\x02\x00\x01", 6),
                 400, "TLS"},
        Rejected{"Json", "{\"a\": 1}\r\n", 400, "malformed request line"},
        Rejected{"LeadingSpace", " GET / HTTP/1.1\r\n\r\n", 400,
                 "malformed"},
        Rejected{"UnknownMethod", "BREW /pot HTTP/1.1\r\n\r\n", 501,
                 "unsupported method \"BREW\""},
        Rejected{"LowercaseMethod", "get / HTTP/1.1\r\n\r\n", 501,
                 "unsupported method \"get\""},
        Rejected{"Connect", "CONNECT example.com:443 HTTP/1.1\r\n\r\n", 501,
                 "CONNECT"},
        // Header lines.
        Rejected{"NoColon", "GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", 400,
                 "malformed"},
        Rejected{"SpaceInName", "GET / HTTP/1.1\r\nFoo Bar: x\r\n\r\n", 400,
                 "header"},
        Rejected{"SpaceBeforeColon", "GET / HTTP/1.1\r\nFoo : x\r\n\r\n", 400,
                 "header"},
        Rejected{"EmptyName", "GET / HTTP/1.1\r\n: x\r\n\r\n", 400,
                 "empty header name"},
        Rejected{"BadNameChar", "GET / HTTP/1.1\r\nFoo(): x\r\n\r\n", 400,
                 "header"},
        Rejected{"ObsFoldSpace",
                 "GET / HTTP/1.1\r\nX: a\r\n folded\r\nY: b\r\n\r\n", 400,
                 "obs-fold"},
        Rejected{"ObsFoldTab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 400,
                 "obs-fold"},
        Rejected{"SpaceBeforeFirstHeader",
                 "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, "obs-fold"},
        Rejected{"BareLfInHeaders", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400,
                 "malformed"},
        Rejected{"AllBareLf", "GET / HTTP/1.1\nHost: a\n\n", 400,
                 "malformed"},
        Rejected{"BareCr", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400,
                 "malformed"},
        Rejected{"ControlCharInValue", "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",
                 400, "malformed"},
        // Framing.
        Rejected{"ContentLengthAndChunked",
                 "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 400, "Transfer-Encoding"},
        Rejected{"ChunkedAndContentLength",
                 "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                 "Content-Length: 3\r\n\r\n0\r\n\r\n",
                 400, "Content-Length"},
        Rejected{"TwoContentLengths",
                 "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                 "Content-Length: 4\r\n\r\nabcd",
                 400, "Content-Length"},
        Rejected{"RepeatedContentLength",
                 "POST / HTTP/1.1\r\nContent-Length: 3\r\n"
                 "Content-Length: 3\r\n\r\nabc",
                 400, "Content-Length"},
        Rejected{"NegativeContentLength",
                 "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
                 "Content-Length"},
        Rejected{"ContentLengthList",
                 "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", 400,
                 "Content-Length"},
        Rejected{"EmptyContentLength",
                 "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 400,
                 "Content-Length"},
        Rejected{"ContentLengthOverflow",
                 "POST / HTTP/1.1\r\nContent-Length: "
                 "99999999999999999999999\r\n\r\n",
                 400, "Content-Length"},
        Rejected{"TransferEncodingNotChunked",
                 "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
                 "does not end in chunked"},
        Rejected{"ChunkedNotLast",
                 "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                 400, "Transfer-Encoding"},
        Rejected{"UnsupportedCoding",
                 "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                 "0\r\n\r\n",
                 501, "unsupported Transfer-Encoding \"gzip\""},
        Rejected{"UnsupportedCodingInTwoHeaders",
                 "POST / HTTP/1.1\r\nTransfer-Encoding: deflate\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 501, "deflate"},
        Rejected{"ChunkSizeNotHex", std::string(kChunkedHead) + "zz\r\n", 400,
                 "chunk size"},
        Rejected{"ChunkSizeSpace",
                 std::string(kChunkedHead) + "3 \r\nabc\r\n0\r\n\r\n", 400,
                 "chunk size"},
        Rejected{"ChunkSizeNegative", std::string(kChunkedHead) + "-3\r\n",
                 400, "chunk size"},
        Rejected{"ChunkSizeOverflow",
                 std::string(kChunkedHead) + "fffffffffffffffff0\r\n", 400,
                 "malformed"},
        Rejected{"ChunkDataTooLong",
                 std::string(kChunkedHead) + "3\r\nabcX\r\n0\r\n\r\n", 400,
                 "malformed"},
        Rejected{"ChunkBareLf", std::string(kChunkedHead) + "3\nabc\n0\n\n",
                 400, "malformed"},
        // Errors in a later pipelined request.
        Rejected{"SecondRequestBad",
                 "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
                 400, "header"}),
    [](const testing::TestParamInfo<Rejected>& info) {
      return std::string(info.param.name);
    });

TEST(HttpParserTest, ErrorIsSticky) {
  HttpRequestParser parser{HttpLimits()};
  Step step = parser.Feed("GET / HTTP/1.1\r\nFoo Bar: x\r\n\r\n");
  ASSERT_EQ(step.event, Event::kError);
  EXPECT_EQ(step.status, 400);
  Step again = parser.Feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(again.event, Event::kError);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(again.error, step.error);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(HttpParserTest, UnknownMethodWaitsForTheWholeToken) {
  HttpRequestParser parser{HttpLimits()};
  Step step = parser.Feed("BR");
  EXPECT_EQ(step.event, Event::kNeedMore);
  EXPECT_EQ(step.consumed, 2u);
  step = parser.Feed("EW");
  EXPECT_EQ(step.event, Event::kNeedMore);
  step = parser.Feed(" / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(step.event, Event::kError);
  EXPECT_EQ(step.status, 501);
}

// A head of exactly `size` bytes, request line to blank line.
std::string HeadOfSize(std::size_t size) {
  const std::string start = "GET / HTTP/1.1\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  return start + std::string(size - start.size() - end.size(), 'p') + end;
}

TEST(HttpParserTest, HeadLimit) {
  HttpLimits limits;
  limits.max_head_bytes = 200;
  ASSERT_EQ(HeadOfSize(200).size(), 200u);

  Parsed p = ParseAllWays(HeadOfSize(200), limits);
  ASSERT_EQ(p.status, 0) << p.error;
  ASSERT_EQ(p.messages.size(), 1u);

  p = ParseAllWays(HeadOfSize(201), limits);
  EXPECT_EQ(p.status, 431);
  EXPECT_NE(p.error.find("200"), std::string::npos) << p.error;
  EXPECT_TRUE(p.messages.empty());

  // A head that never ends: 431 once the limit is passed, not before.
  HttpRequestParser parser(limits);
  const std::string endless = HeadOfSize(400).substr(0, 300);
  for (std::size_t i = 0; i < 200; ++i) {
    ASSERT_EQ(parser.Feed(endless.substr(i, 1)).event, Event::kNeedMore) << i;
  }
  Step step = parser.Feed(endless.substr(200, 1));
  EXPECT_EQ(step.event, Event::kError);
  EXPECT_EQ(step.status, 431);

  // The limit is per request: pipelined heads of exactly the limit pass.
  p = ParseAllWays(HeadOfSize(200) + HeadOfSize(200) + HeadOfSize(201),
                   limits);
  EXPECT_EQ(p.messages.size(), 2u);
  EXPECT_EQ(p.status, 431);

  // The body does not count.
  p = ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 500\r\n\r\n" +
                       std::string(500, 'b'),
                   limits);
  ASSERT_EQ(p.status, 0) << p.error;
  EXPECT_EQ(p.messages[0].body.size(), 500u);
}

TEST(HttpParserTest, TrailerLimit) {
  HttpLimits limits;
  limits.max_head_bytes = 100;
  Parsed p = ParseAllWays(std::string(kChunkedHead) + "1\r\na\r\n0\r\nT: " +
                              std::string(150, 't') + "\r\n\r\n",
                          limits);
  EXPECT_EQ(p.status, 431) << p.error;
}

TEST(HttpParserTest, DeclaredBodyLimit) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  Parsed p = ParseAllWays(
      "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits);
  ASSERT_EQ(p.status, 0) << p.error;
  EXPECT_EQ(p.messages[0].body, "0123456789");

  p = ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n01234567890",
                   limits);
  EXPECT_EQ(p.status, 413);
  EXPECT_TRUE(p.messages.empty());  // refused before kHead

  // Unlimited: only int64 bounds the size.
  p = ParseAllWays(
      "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n");
  EXPECT_EQ(p.status, 413);
  p = ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n");
  ASSERT_EQ(p.status, 0) << p.error;
  EXPECT_EQ(p.messages[0].head.content_length, INT64_MAX);
}

TEST(HttpParserTest, ChunkedBodyLimit) {
  HttpLimits limits;
  limits.max_body_bytes = 10;
  Parsed p = ParseAllWays(
      std::string(kChunkedHead) + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
      limits);
  ASSERT_EQ(p.status, 0) << p.error;
  EXPECT_EQ(p.messages[0].body, "0123456789");

  p = ParseAllWays(
      std::string(kChunkedHead) + "6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n",
      limits);
  EXPECT_EQ(p.status, 413);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].body, "012345");  // the piece within the limit

  p = ParseAllWays(std::string(kChunkedHead) + "b\r\n", limits);
  EXPECT_EQ(p.status, 413);
  EXPECT_EQ(p.messages[0].body, "");
}

TEST(HttpParserTest, ByteByByteMatchesWholeForManyShapes) {
  const std::string inputs[] = {
      "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n",
      "POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
      std::string(kChunkedHead) + "2;x=y\r\nab\r\n0\r\nT: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
      "BREW / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    Parsed whole = Parse(in);
    for (std::size_t chunk : {1, 2, 3, 5, 13}) {
      EXPECT_EQ(Describe(Parse(in, chunk)), Describe(whole))
          << "chunk " << chunk << " of " << in;
    }
  }
}

TEST(HttpParserTest, ParserCanMoveMidRequest) {
  HttpRequestParser first{HttpLimits()};
  ASSERT_EQ(first.Feed("GET /moved HTTP/1.1\r\nHo").event, Event::kNeedMore);
  HttpRequestParser second = std::move(first);
  ASSERT_EQ(second.Feed("st: h\r\n\r\n").event, Event::kHead);
  EXPECT_EQ(second.head().path, "/moved");
  EXPECT_EQ(second.head().headers, (Headers{{"Host", "h"}}));
}

}  // namespace
}  // namespace subhost::net

#include "engine/net/uwsgi_parser.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost::net {
namespace {

using Result = UwsgiRequestParser::Result;
using Vars = std::vector<std::pair<std::string, std::string>>;

void AppendU16(std::string* out, std::size_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}

std::string VarsBlock(const Vars& vars) {
  std::string block;
  for (const auto& [k, v] : vars) {
    AppendU16(&block, k.size());
    block += k;
    AppendU16(&block, v.size());
    block += v;
  }
  return block;
}

std::string Packet(const std::string& block, int modifier1 = 0,
                   int modifier2 = 0) {
  std::string packet;
  packet.push_back(static_cast<char>(modifier1));
  AppendU16(&packet, block.size());
  packet.push_back(static_cast<char>(modifier2));
  return packet + block;
}

// What nginx sends for `include uwsgi_params;` and
//   curl -d 'a=1' 'http://example.com:8080/app/x?q=1'
Vars NginxVars() {
  return {
      {"QUERY_STRING", "q=1"},
      {"REQUEST_METHOD", "POST"},
      {"CONTENT_TYPE", "application/x-www-form-urlencoded"},
      {"CONTENT_LENGTH", "3"},
      {"REQUEST_URI", "/app/x?q=1"},
      {"PATH_INFO", "/app/x"},
      {"DOCUMENT_ROOT", "/usr/share/nginx/html"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"REQUEST_SCHEME", "http"},
      {"HTTPS", ""},
      {"REMOTE_ADDR", "192.0.2.7"},
      {"REMOTE_PORT", "51544"},
      {"SERVER_PORT", "8080"},
      {"SERVER_NAME", "example.com"},
      {"HTTP_HOST", "example.com:8080"},
      {"HTTP_USER_AGENT", "curl/7.88.1"},
      {"HTTP_ACCEPT", "*/*"},
      {"HTTP_CONTENT_LENGTH", "3"},
      {"HTTP_CONTENT_TYPE", "application/x-www-form-urlencoded"},
  };
}

struct Outcome {
  Result result = Result::kNeedMore;
  std::size_t consumed = 0;
  Vars vars;
  int modifier1 = 0;
  int modifier2 = 0;
  std::string error;
};

// Feeds `input` `chunk` bytes at a time (0: all at once), keeping unconsumed
// bytes for the next call the way a server does.
Outcome Run(std::string_view input, std::size_t chunk = 0,
            const UwsgiLimits& limits = UwsgiLimits()) {
  UwsgiRequestParser parser(limits);
  Outcome out;
  std::string buffer;
  std::size_t fed = 0;
  while (fed < input.size()) {
    const std::size_t n = chunk == 0 ? input.size() - fed
                                     : std::min(chunk, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    std::size_t consumed = 12345;
    out.result = parser.Feed(buffer, &consumed);
    EXPECT_LE(consumed, buffer.size());
    if (out.result == Result::kNeedMore) {
      EXPECT_EQ(consumed, buffer.size());
    }
    buffer.erase(0, consumed);
    out.consumed += consumed;
    if (out.result != Result::kNeedMore) break;
  }
  out.vars = parser.vars();
  out.modifier1 = parser.modifier1();
  out.modifier2 = parser.modifier2();
  out.error = parser.error();
  return out;
}

// All three ways of feeding must agree.
Outcome RunAllWays(std::string_view input,
                   const UwsgiLimits& limits = UwsgiLimits()) {
  Outcome whole = Run(input, 0, limits);
  for (std::size_t chunk : {1, 3}) {
    Outcome pieces = Run(input, chunk, limits);
    EXPECT_EQ(pieces.result, whole.result) << "chunk " << chunk;
    EXPECT_EQ(pieces.consumed, whole.consumed) << "chunk " << chunk;
    EXPECT_EQ(pieces.vars, whole.vars) << "chunk " << chunk;
    EXPECT_EQ(pieces.error, whole.error) << "chunk " << chunk;
  }
  return whole;
}

TEST(UwsgiParserTest, NginxPacketWithBodyFollowing) {
  const Vars vars = NginxVars();
  const std::string packet = Packet(VarsBlock(vars));
  const std::string input = packet + "a=1";

  UwsgiRequestParser parser{UwsgiLimits()};
  std::size_t consumed = 0;
  ASSERT_EQ(parser.Feed(input, &consumed), Result::kDone) << parser.error();
  EXPECT_EQ(consumed, packet.size());  // the body is left for the caller
  EXPECT_EQ(parser.vars(), vars);
  EXPECT_EQ(parser.modifier1(), 0);
  EXPECT_EQ(parser.modifier2(), 0);
  EXPECT_TRUE(parser.error().empty());

  // Done is sticky and consumes nothing until Reset().
  EXPECT_EQ(parser.Feed("a=1", &consumed), Result::kDone);
  EXPECT_EQ(consumed, 0u);

  Outcome o = RunAllWays(input);
  EXPECT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.consumed, packet.size());
  EXPECT_EQ(o.vars, vars);
}

TEST(UwsgiParserTest, ByteByByte) {
  const std::string packet = Packet(VarsBlock(NginxVars()));
  UwsgiRequestParser parser{UwsgiLimits()};
  std::size_t consumed = 0;
  for (std::size_t i = 0; i + 1 < packet.size(); ++i) {
    ASSERT_EQ(parser.Feed(packet.substr(i, 1), &consumed), Result::kNeedMore)
        << i;
    ASSERT_EQ(consumed, 1u);
  }
  ASSERT_EQ(parser.Feed(packet.substr(packet.size() - 1) + "body", &consumed),
            Result::kDone);
  EXPECT_EQ(consumed, 1u);
  EXPECT_EQ(parser.vars(), NginxVars());
}

TEST(UwsgiParserTest, KeepsOrderDuplicatesAndBinaryValues) {
  const Vars vars = {{"B", "2"},
                     {"A", "1"},
                     {"A", ""},
                     {"X", std::string("\0\xff\r\n", 4)},
                     {"LONG", std::string(1000, 'v')}};
  Outcome o = RunAllWays(Packet(VarsBlock(vars)));
  ASSERT_EQ(o.result, Result::kDone) << o.error;
  EXPECT_EQ(o.vars, vars);
}

TEST(UwsgiParserTest, EmptyVarsBlock) {
  Outcome o = RunAllWays(Packet(""));
  EXPECT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.consumed, 4u);
  EXPECT_TRUE(o.vars.empty());
}

TEST(UwsgiParserTest, ModifiersAreReported) {
  Outcome o = RunAllWays(Packet(VarsBlock({{"K", "v"}}), 0, 7));
  EXPECT_EQ(o.result, Result::kDone);
  EXPECT_EQ(o.modifier2, 7);
}

TEST(UwsgiParserTest, BufferSizeLimit) {
  UwsgiLimits limits;
  limits.buffer_size = 100;
  std::string block = VarsBlock({{"K", std::string(95, 'v')}});
  ASSERT_EQ(block.size(), 100u);
  Outcome o = RunAllWays(Packet(block), limits);
  EXPECT_EQ(o.result, Result::kDone) << o.error;

  block = VarsBlock({{"K", std::string(96, 'v')}});
  o = RunAllWays(Packet(block), limits);
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_EQ(o.error, "uwsgi packet of 101 bytes exceeds --buffer-size 100");
  EXPECT_EQ(o.consumed, 4u);  // refused on the header, not after the block

  // The default, like uWSGI's.
  o = RunAllWays(Packet(VarsBlock({{"K", std::string(5000, 'v')}})));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("exceeds --buffer-size 4096"), std::string::npos);
}

TEST(UwsgiParserTest, OnlyModifier1Zero) {
  Outcome o = RunAllWays(Packet(VarsBlock({{"K", "v"}}), 5));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_EQ(o.modifier1, 5);
  EXPECT_NE(o.error.find("modifier1 5"), std::string::npos) << o.error;
}

TEST(UwsgiParserTest, EmptyKey) {
  Outcome o = RunAllWays(Packet(VarsBlock({{"A", "1"}, {"", "x"}})));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("empty key"), std::string::npos) << o.error;
}

TEST(UwsgiParserTest, SizesRunningPastTheBlock) {
  std::string block = VarsBlock({{"A", "1"}});

  std::string key_past = block;
  AppendU16(&key_past, 10);
  key_past += "SHORT";
  Outcome o = RunAllWays(Packet(key_past));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("key of 10 bytes"), std::string::npos) << o.error;
  EXPECT_NE(o.error.find("runs past"), std::string::npos) << o.error;

  std::string value_past = block;
  AppendU16(&value_past, 3);
  value_past += "KEY";
  AppendU16(&value_past, 50);
  value_past += "short";
  o = RunAllWays(Packet(value_past));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("value of 50 bytes for key \"KEY\""),
            std::string::npos)
      << o.error;

  o = RunAllWays(Packet(block + "\x01"));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("inside a key size"), std::string::npos) << o.error;

  std::string no_value_size = block;
  AppendU16(&no_value_size, 1);
  no_value_size += "K";
  o = RunAllWays(Packet(no_value_size));
  EXPECT_EQ(o.result, Result::kError);
  EXPECT_NE(o.error.find("value size"), std::string::npos) << o.error;
}

TEST(UwsgiParserTest, HttpOnTheUwsgiSocket) {
  for (const char* request :
       {"GET / HTTP/1.1\r\nHost: h\r\n\r\n", "POST /x HTTP/1.1\r\n",
        "HEAD / HTTP/1.0\r\n", "PUT /x HTTP/1.1\r\n", "DELETE /x HTTP/1.1\r\n",
        "OPTIONS * HTTP/1.1\r\n", "PATCH /x HTTP/1.1\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}) {
    Outcome o = RunAllWays(request);
    EXPECT_EQ(o.result, Result::kLooksLikeHttp) << request;
    EXPECT_NE(o.error.find("--http-socket"), std::string::npos) << o.error;
    EXPECT_EQ(o.error.find('\n'), std::string::npos);
  }
  Outcome o = RunAllWays("GET / HTTP/1.1\r\n\r\n");
  EXPECT_NE(o.error.find("21573"), std::string::npos) << o.error;
  EXPECT_NE(o.error.find("\"GET ...\""), std::string::npos) << o.error;
}

TEST(UwsgiParserTest, PartialHeaderNeedsMore) {
  UwsgiRequestParser parser{UwsgiLimits()};
  std::size_t consumed = 0;
  EXPECT_EQ(parser.Feed("", &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(parser.Feed("GE", &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, 2u);
  EXPECT_EQ(parser.Feed("T /", &consumed), Result::kLooksLikeHttp);
  EXPECT_EQ(consumed, 2u);
  // Errors are sticky.
  EXPECT_EQ(parser.Feed("x", &consumed), Result::kLooksLikeHttp);
  EXPECT_EQ(consumed, 0u);
}

TEST(UwsgiParserTest, ResetForAnotherPacket) {
  UwsgiRequestParser parser{UwsgiLimits()};
  std::size_t consumed = 0;
  ASSERT_EQ(parser.Feed("GET / HTTP/1.1\r\n", &consumed),
            Result::kLooksLikeHttp);
  parser.Reset();
  EXPECT_TRUE(parser.error().empty());
  const std::string packet = Packet(VarsBlock({{"PATH_INFO", "/a"}}));
  ASSERT_EQ(parser.Feed(packet, &consumed), Result::kDone);
  EXPECT_EQ(parser.vars(), (Vars{{"PATH_INFO", "/a"}}));
  parser.Reset();
  EXPECT_TRUE(parser.vars().empty());
  ASSERT_EQ(parser.Feed(Packet(VarsBlock({{"B", "b"}})), &consumed),
            Result::kDone);
  EXPECT_EQ(parser.vars(), (Vars{{"B", "b"}}));
}

}  // namespace
}  // namespace subhost::net

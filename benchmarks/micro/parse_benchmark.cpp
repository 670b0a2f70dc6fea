// Request parsing cost: HTTP heads (one, and ten pipelined in one buffer)
// and a uwsgi packet as nginx sends it. items/s counts requests parsed.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/net/http_parser.h"
#include "engine/net/uwsgi_parser.h"

namespace subhost::net {
namespace {

// What a browser sends for a page: six headers.
const char kHttpGet[] =
    "GET /api/users/42?fields=name,email HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
    "Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

// Parses every request in `buffer`; returns how many completed.
int ParseAll(HttpRequestParser* parser, std::string_view buffer) {
  int requests = 0;
  while (!buffer.empty()) {
    HttpRequestParser::Step step = parser->Feed(buffer);
    buffer.remove_prefix(step.consumed);
    switch (step.event) {
      case HttpRequestParser::Event::kHead:
        benchmark::DoNotOptimize(parser->head().headers.data());
        break;
      case HttpRequestParser::Event::kBody:
        benchmark::DoNotOptimize(step.body.data());
        break;
      case HttpRequestParser::Event::kMessageEnd:
        ++requests;
        parser->NextMessage();
        break;
      case HttpRequestParser::Event::kNeedMore:
        break;
      case HttpRequestParser::Event::kError:
        return -1;
    }
  }
  // A body-less request's kMessageEnd comes on the call after kHead.
  if (parser->Feed({}).event == HttpRequestParser::Event::kMessageEnd) {
    ++requests;
    parser->NextMessage();
  }
  return requests;
}

void BM_Parse_HttpGet(benchmark::State& state) {
  HttpRequestParser parser{HttpLimits()};
  const std::string_view request = kHttpGet;
  for (auto _ : state) {
    if (ParseAll(&parser, request) != 1) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(request.size()));
}
BENCHMARK(BM_Parse_HttpGet);

void BM_Parse_HttpPipelined(benchmark::State& state) {
  constexpr int kRequests = 10;
  std::string buffer;
  for (int i = 0; i < kRequests; ++i) buffer += kHttpGet;
  HttpRequestParser parser{HttpLimits()};
  for (auto _ : state) {
    if (ParseAll(&parser, buffer) != kRequests) {
      state.SkipWithError("parse failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kRequests);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(buffer.size()));
}
BENCHMARK(BM_Parse_HttpPipelined);

void AppendU16(std::string* out, std::size_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
}

// The packet nginx builds from `include uwsgi_params;` for a browser GET.
std::string NginxPacket() {
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"QUERY_STRING", "fields=name,email"},
      {"REQUEST_METHOD", "GET"},
      {"CONTENT_TYPE", ""},
      {"CONTENT_LENGTH", ""},
      {"REQUEST_URI", "/api/users/42?fields=name,email"},
      {"PATH_INFO", "/api/users/42"},
      {"DOCUMENT_ROOT", "/usr/share/nginx/html"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"REQUEST_SCHEME", "https"},
      {"HTTPS", "on"},
      {"REMOTE_ADDR", "203.0.113.9"},
      {"REMOTE_PORT", "53122"},
      {"SERVER_PORT", "443"},
      {"SERVER_NAME", "www.example.com"},
      {"HTTP_HOST", "www.example.com"},
      {"HTTP_USER_AGENT",
       "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 "
       "Firefox/115.0"},
      {"HTTP_ACCEPT",
       "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.5"},
      {"HTTP_ACCEPT_ENCODING", "gzip, deflate, br"},
      {"HTTP_CONNECTION", "keep-alive"},
  };
  std::string block;
  for (const auto& [k, v] : vars) {
    AppendU16(&block, k.size());
    block += k;
    AppendU16(&block, v.size());
    block += v;
  }
  std::string packet(1, '\0');
  AppendU16(&packet, block.size());
  packet.push_back('\0');
  return packet + block;
}

void BM_Parse_UwsgiPacket(benchmark::State& state) {
  const std::string packet = NginxPacket();
  UwsgiRequestParser parser{UwsgiLimits()};
  for (auto _ : state) {
    parser.Reset();
    std::size_t consumed = 0;
    if (parser.Feed(packet, &consumed) != UwsgiRequestParser::Result::kDone) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(parser.vars().data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(packet.size()));
}
BENCHMARK(BM_Parse_UwsgiPacket);

}  // namespace
}  // namespace subhost::net

#include "engine/net/uwsgi_parser.h"

#include <fmt/format.h>

#include "engine/net/printable.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace subhost::net {

namespace {

std::size_t ReadU16(const unsigned char* p) {
  return static_cast<std::size_t>(p[0]) |
         (static_cast<std::size_t>(p[1]) << 8);
}

// True when the 4 header bytes read as the start of an HTTP request line
// ("GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI", "PATC", "M-SE", "PRI "):
// upper-case letters, '-' and spaces. A uwsgi header starts with modifier1,
// 0 for WSGI, never with a letter.
bool LooksLikeHttp(const unsigned char* h) {
  if (h[0] < 'A' || h[0] > 'Z') return false;
  for (int i = 1; i < 4; ++i) {
    const unsigned char c = h[i];
    if (!(c >= 'A' && c <= 'Z') && c != '-' && c != ' ') return false;
  }
  return true;
}

}  // namespace

UwsgiRequestParser::UwsgiRequestParser(const UwsgiLimits& limits)
    : limits_(limits) {}

UwsgiRequestParser::Result UwsgiRequestParser::Fail(Result result,
                                                    std::string error) {
  state_ = result;
  error_ = std::move(error);
  return result;
}

UwsgiRequestParser::Result UwsgiRequestParser::ParseHeader() {
  modifier1_ = header_[0];
  datasize_ = ReadU16(header_ + 1);
  modifier2_ = header_[3];
  if (LooksLikeHttp(header_)) {
    return Fail(
        Result::kLooksLikeHttp,
        fmt::format("HTTP request (\"{}...\") on a uwsgi socket (uWSGI would "
                    "read a uwsgi packet of {} bytes): speak the uwsgi "
                    "protocol (nginx uwsgi_pass) or listen with --http-socket "
                    "for plain HTTP",
                    Printable(std::string_view(
                        reinterpret_cast<const char*>(header_), 4)),
                    datasize_));
  }
  if (modifier1_ != 0) {
    return Fail(Result::kError,
                fmt::format("uwsgi modifier1 {} is not supported (only 0, "
                            "WSGI requests)",
                            modifier1_));
  }
  if (datasize_ > limits_.buffer_size) {
    return Fail(Result::kError,
                fmt::format("uwsgi packet of {} bytes exceeds --buffer-size {}",
                            datasize_, limits_.buffer_size));
  }
  return Result::kNeedMore;
}

bool UwsgiRequestParser::ParseVars(std::string_view block) {
  const auto* p = reinterpret_cast<const unsigned char*>(block.data());
  const std::size_t n = block.size();
  std::size_t i = 0;
  vars_.clear();
  while (i < n) {
    if (n - i < 2) {
      Fail(Result::kError,
           fmt::format("uwsgi vars block of {} bytes ends inside a key size "
                       "at offset {}",
                       n, i));
      return false;
    }
    const std::size_t key_size = ReadU16(p + i);
    if (key_size == 0) {
      Fail(Result::kError,
           fmt::format("empty key in uwsgi vars at offset {}", i));
      return false;
    }
    i += 2;
    if (key_size > n - i) {
      Fail(Result::kError,
           fmt::format("uwsgi key of {} bytes at offset {} runs past the "
                       "{}-byte vars block",
                       key_size, i - 2, n));
      return false;
    }
    const std::size_t key_at = i;
    i += key_size;
    if (n - i < 2) {
      Fail(Result::kError,
           fmt::format("uwsgi vars block ends inside the value size of key "
                       "\"{}\"",
                       Printable(std::string_view(
                           reinterpret_cast<const char*>(p) + key_at,
                           key_size))));
      return false;
    }
    const std::size_t value_size = ReadU16(p + i);
    i += 2;
    if (value_size > n - i) {
      Fail(Result::kError,
           fmt::format("uwsgi value of {} bytes for key \"{}\" runs past the "
                       "{}-byte vars block",
                       value_size,
                       Printable(std::string_view(
                           reinterpret_cast<const char*>(p) + key_at,
                           key_size)),
                       n));
      return false;
    }
    vars_.emplace_back(std::string(block.substr(key_at, key_size)),
                       std::string(block.substr(i, value_size)));
    i += value_size;
  }
  return true;
}

UwsgiRequestParser::Result UwsgiRequestParser::Feed(std::string_view data,
                                                    std::size_t* consumed) {
  *consumed = 0;
  if (state_ != Result::kNeedMore) return state_;
  std::size_t used = 0;
  if (header_have_ < 4) {
    const std::size_t take = std::min(4 - header_have_, data.size());
    std::copy_n(data.data(), take, header_ + header_have_);
    header_have_ += take;
    used = take;
    *consumed = used;
    if (header_have_ < 4) return Result::kNeedMore;
    const Result r = ParseHeader();
    if (r != Result::kNeedMore) return r;
  }
  const std::string_view rest = data.substr(used);
  if (block_.empty() && rest.size() >= datasize_) {
    // The common case: the whole block in one read, parsed in place.
    *consumed = used + datasize_;
    if (!ParseVars(rest.substr(0, datasize_))) return state_;
    state_ = Result::kDone;
    return state_;
  }
  const std::size_t take = std::min(datasize_ - block_.size(), rest.size());
  block_.append(rest.data(), take);
  *consumed = used + take;
  if (block_.size() < datasize_) return Result::kNeedMore;
  if (!ParseVars(block_)) return state_;
  state_ = Result::kDone;
  return state_;
}

void UwsgiRequestParser::Reset() {
  state_ = Result::kNeedMore;
  header_have_ = 0;
  datasize_ = 0;
  block_.clear();
  modifier1_ = 0;
  modifier2_ = 0;
  vars_.clear();
  error_.clear();
}

}  // namespace subhost::net

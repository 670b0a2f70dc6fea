// UwsgiRequestParser: the request packet of the uwsgi binary protocol, as
// nginx's uwsgi_pass sends it (see ../shared/COMPAT.md).
//
// Thread contract: a parser is used by one thread at a time (it may move
// between threads with its connection).
#ifndef SUBHOST_ENGINE_NET_UWSGI_PARSER_H_
#define SUBHOST_ENGINE_NET_UWSGI_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost::net {

struct UwsgiLimits {
  // uWSGI's --buffer-size: a vars block larger than this is refused.
  std::size_t buffer_size = 4096;
};

// Incremental parser for one uwsgi request packet: a 4-byte header (uint8
// modifier1, uint16 LE datasize, uint8 modifier2), then datasize bytes of
// vars (repeated uint16 LE key_size, key, uint16 LE val_size, val). Results
// do not depend on how the bytes are split between Feed calls.
class UwsgiRequestParser {
 public:
  explicit UwsgiRequestParser(const UwsgiLimits& limits);

  enum class Result {
    kNeedMore,       // all input consumed, the packet is not complete yet
    kDone,           // vars() holds the packet's vars
    kError,          // error() says why; close the connection
    kLooksLikeHttp,  // an HTTP request on the uwsgi socket; error() says so
  };

  // Feeds bytes; *consumed gets how many were used. The request body that
  // follows the vars block is never consumed. After kDone, kError or
  // kLooksLikeHttp the same result comes back, consuming nothing, until
  // Reset().
  Result Feed(std::string_view data, std::size_t* consumed);

  // In order, as sent (duplicates kept). Valid after kDone.
  const std::vector<std::pair<std::string, std::string>>& vars() const {
    return vars_;
  }
  // Valid once the 4-byte header is in (0 before).
  int modifier1() const { return modifier1_; }
  int modifier2() const { return modifier2_; }
  // One line, for kError and kLooksLikeHttp.
  const std::string& error() const { return error_; }

  // Ready for another packet.
  void Reset();

 private:
  Result ParseHeader();
  // Splits a complete vars block into vars_; false (error_ set) when it is
  // malformed.
  bool ParseVars(std::string_view block);
  Result Fail(Result result, std::string error);

  UwsgiLimits limits_;
  Result state_ = Result::kNeedMore;
  unsigned char header_[4] = {};
  std::size_t header_have_ = 0;
  std::size_t datasize_ = 0;
  std::string block_;  // the vars block while it arrives in pieces
  int modifier1_ = 0;
  int modifier2_ = 0;
  std::vector<std::pair<std::string, std::string>> vars_;
  std::string error_;
};

}  // namespace subhost::net

#endif  // SUBHOST_ENGINE_NET_UWSGI_PARSER_H_

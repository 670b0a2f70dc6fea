#include "engine/server/uwsgi_request.h"

#include <algorithm>

#include "engine/text.h"

namespace subhost::server {

std::int64_t RequestFromUwsgiVars(
    const std::vector<std::pair<std::string, std::string>>& vars,
    Request* request) {
  Request& r = *request;
  std::int64_t length = 0;
  std::string path_info, query, uri;
  bool have_uri = false;
  for (const auto& [k, v] : vars) {
    if (k.rfind("HTTP_", 0) == 0) {
      std::string name = k.substr(5);
      for (char& ch : name) ch = ch == '_' ? '-' : ch;
      r.headers.emplace_back(std::move(name), v);
    } else if (k == "REQUEST_METHOD") {
      r.method = v;
    } else if (k == "REQUEST_URI") {
      uri = v;
      have_uri = true;
    } else if (k == "PATH_INFO") {
      path_info = v;
    } else if (k == "QUERY_STRING") {
      query = v;
    } else if (k == "CONTENT_TYPE") {
      if (!v.empty()) r.headers.emplace_back("Content-Type", v);
    } else if (k == "CONTENT_LENGTH") {
      length = text::ParseNumber<std::int64_t>(v).value_or(0);
    } else if (k == "SERVER_PROTOCOL") {
      r.protocol = v;
    } else if (k == "REMOTE_ADDR") {
      r.remote_addr = v;
    } else if (k == "REMOTE_PORT") {
      r.remote_port = text::ParseNumber<std::uint16_t>(v).value_or(0);
    } else if (k == "SERVER_NAME") {
      r.server_name = v;
    } else if (k == "SERVER_PORT") {
      r.server_port = text::ParseNumber<std::uint16_t>(v).value_or(0);
    } else if ((k == "HTTPS" && (v == "on" || v == "1")) ||
               (k == "REQUEST_SCHEME" && v == "https") ||
               (k == "UWSGI_SCHEME" && v == "https")) {
      r.scheme = "https";
    }
  }
  if (have_uri && !uri.empty() && uri[0] == '/') {
    size_t q = uri.find('?');
    r.path = uri.substr(0, q);
  } else {
    // PATH_INFO is already decoded: escape '%' so decoding is a no-op.
    r.path.clear();
    for (char ch : path_info) {
      if (ch == '%') {
        r.path += "%25";
      } else {
        r.path += ch;
      }
    }
    if (r.path.empty()) r.path = "/";
  }
  r.query = query;
  return std::max<std::int64_t>(length, 0);
}

}  // namespace subhost::server

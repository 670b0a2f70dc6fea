// The CGI variables nginx sends in a uwsgi packet, mapped onto a Request:
// HTTP_* back to header fields, REQUEST_URI (or PATH_INFO) to the path,
// REMOTE_*/SERVER_* to the peer and the server as nginx saw them.
//
// Thread contract: a plain function, safe from any thread.
#ifndef SUBHOST_ENGINE_SERVER_UWSGI_REQUEST_H_
#define SUBHOST_ENGINE_SERVER_UWSGI_REQUEST_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "subhost/request.h"

namespace subhost::server {

// Fills *request from vars; returns the body size CONTENT_LENGTH announced
// (0 when absent or malformed).
std::int64_t RequestFromUwsgiVars(
    const std::vector<std::pair<std::string, std::string>>& vars,
    Request* request);

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_UWSGI_REQUEST_H_

#include <strings.h>
#include <unistd.h>

#include <cerrno>

#include "subhost/request.h"

namespace subhost {

std::string_view Response::Header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.first.size() == name.size() &&
        strncasecmp(h.first.data(), name.data(), name.size()) == 0) {
      return h.second;
    }
  }
  return {};
}

bool ResponseSink::SendFile(int fd, std::uint64_t offset, std::uint64_t count) {
  char buf[64 * 1024];
  while (count > 0) {
    size_t want = count < sizeof buf ? static_cast<size_t>(count) : sizeof buf;
    ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (!Write(std::string_view(buf, static_cast<size_t>(n)))) return false;
    offset += static_cast<std::uint64_t>(n);
    count -= static_cast<std::uint64_t>(n);
  }
  return true;
}

}  // namespace subhost

// BodySpool: a request body too large to hold in memory, written to an
// unlinked temporary file (O_TMPFILE in $TMPDIR or /tmp) and read back by
// the app through wsgi.input. Owns the file's descriptor until it hands it
// to a reader.
//
// Thread contract: used by the one thread that owns the connection.
#ifndef SUBHOST_ENGINE_SERVER_BODY_SPOOL_H_
#define SUBHOST_ENGINE_SERVER_BODY_SPOOL_H_

#include <memory>
#include <string_view>

#include "subhost/request.h"

namespace subhost::server {

class BodySpool {
 public:
  BodySpool() = default;
  ~BodySpool();
  BodySpool(const BodySpool&) = delete;
  BodySpool& operator=(const BodySpool&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Opens the file; false if none can be made.
  bool Open();
  bool Append(std::string_view data);
  // Rewinds the file and hands it to a reader; the spool is closed after.
  std::shared_ptr<BodyReader> TakeReader();

 private:
  int fd_ = -1;
};

}  // namespace subhost::server

#endif  // SUBHOST_ENGINE_SERVER_BODY_SPOOL_H_

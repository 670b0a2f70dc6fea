#include "engine/python/request_body.h"

#include <algorithm>
#include <cstring>

#include "engine/python/activation.h"

namespace subhost::python {

namespace {

constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

RequestBody::RequestBody(const Request& request) {
  if (request.body_reader) {
    reader_ = request.body_reader.get();
  } else {
    buffer_ = request.body;
    eof_ = true;
  }
}

int RequestBody::Fill() {
  if (eof_) return 0;
  if (pos_ > 0) {
    owned_.erase(0, pos_);
    pos_ = 0;
  }
  size_t old = owned_.size();
  owned_.resize(old + kReadChunk);
  std::ptrdiff_t n;
  {
    GilRelease unlocked;
    n = reader_->Read(owned_.data() + old, kReadChunk);
  }
  owned_.resize(old + static_cast<size_t>(std::max<std::ptrdiff_t>(n, 0)));
  buffer_ = owned_;
  if (n < 0) {
    eof_ = true;
    PyErr_SetString(PyExc_OSError, "error reading the request body");
    return -1;
  }
  if (n == 0) eof_ = true;
  return n > 0 ? 1 : 0;
}

PyObject* RequestBody::Take(size_t n) {
  n = std::min(n, Available());
  PyObject* out = PyBytes_FromStringAndSize(Data(), static_cast<Py_ssize_t>(n));
  pos_ += n;
  return out;
}

PyObject* RequestBody::Read(Py_ssize_t n) {
  while (n < 0 || Available() < static_cast<size_t>(n)) {
    int r = Fill();
    if (r < 0) return nullptr;
    if (r == 0) break;
  }
  return Take(n < 0 ? Available() : static_cast<size_t>(n));
}

PyObject* RequestBody::ReadLine(Py_ssize_t limit) {
  size_t scanned = 0;
  for (;;) {
    size_t avail = Available();
    size_t cap = limit < 0 ? avail : std::min(avail, static_cast<size_t>(limit));
    const void* nl =
        cap > scanned ? memchr(Data() + scanned, '\n', cap - scanned) : nullptr;
    if (nl != nullptr) {
      return Take(static_cast<const char*>(nl) - Data() + 1);
    }
    if (limit >= 0 && avail >= static_cast<size_t>(limit)) return Take(cap);
    scanned = cap;
    int r = Fill();
    if (r < 0) return nullptr;
    if (r == 0) return Take(Available());
  }
}

}  // namespace subhost::python

// RequestBody: what wsgi.input reads, the in-memory body or a BodyReader.
//
// Thread contract: lives on the stack of the thread running the request;
// every method needs the GIL of the mount's interpreter (held on entry).
#ifndef SUBHOST_ENGINE_PYTHON_REQUEST_BODY_H_
#define SUBHOST_ENGINE_PYTHON_REQUEST_BODY_H_

#include <Python.h>

#include <string>
#include <string_view>

#include "subhost/request.h"

namespace subhost::python {

// wsgi.input's source: the in-memory body or a BodyReader, never read past
// its end. Reads from a BodyReader release the GIL.
class RequestBody {
 public:
  explicit RequestBody(const Request& request);
  // New bytes, or null with an exception set. n < 0 reads to the end.
  PyObject* Read(Py_ssize_t n);
  // One line including its '\n', at most limit bytes (limit < 0: no limit).
  PyObject* ReadLine(Py_ssize_t limit);

 private:
  size_t Available() const { return buffer_.size() - pos_; }
  const char* Data() const { return buffer_.data() + pos_; }
  // Appends more from the reader; false at the end, -1 with an exception.
  int Fill();
  PyObject* Take(size_t n);

  BodyReader* reader_ = nullptr;
  bool eof_ = false;
  std::string_view buffer_;  // in-memory body, or a view of owned_
  std::string owned_;        // read-ahead from the reader
  size_t pos_ = 0;
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_REQUEST_BODY_H_

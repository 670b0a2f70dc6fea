// PyRef: an owning reference to a Python object. The only place subhost code
// drops references is here (and in tp_dealloc slots). Not thread-safe: use and
// destroy a PyRef only with its interpreter's GIL held.
#ifndef SUBHOST_ENGINE_PYTHON_PY_REF_H_
#define SUBHOST_ENGINE_PYTHON_PY_REF_H_

#include <Python.h>

#include <utility>

namespace subhost::python {

class PyRef {
 public:
  PyRef() = default;
  // Takes ownership of a new reference (may be null: an error is pending).
  static PyRef Steal(PyObject* o) { return PyRef(o); }
  // Adds a reference to a borrowed one.
  static PyRef Borrow(PyObject* o) {
    Py_XINCREF(o);
    return PyRef(o);
  }
  PyRef(PyRef&& other) noexcept : obj_(std::exchange(other.obj_, nullptr)) {}
  PyRef& operator=(PyRef&& other) noexcept {
    if (this != &other) {
      PyObject* old = std::exchange(obj_, std::exchange(other.obj_, nullptr));
      Py_XDECREF(old);
    }
    return *this;
  }
  PyRef(const PyRef&) = delete;
  PyRef& operator=(const PyRef&) = delete;
  ~PyRef() { Py_XDECREF(obj_); }

  PyObject* get() const { return obj_; }
  explicit operator bool() const { return obj_ != nullptr; }
  // Hands the reference to the caller.
  PyObject* release() { return std::exchange(obj_, nullptr); }
  void reset() { Py_CLEAR(obj_); }

 private:
  explicit PyRef(PyObject* o) : obj_(o) {}
  PyObject* obj_ = nullptr;
};

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_PY_REF_H_

#include "engine/python/file_wrapper_type.h"

#include <utility>

#include "engine/python/member_compat.h"
#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

struct FileWrapperObject {
  PyObject_HEAD
  PyObject* filelike;
  Py_ssize_t blksize;
};

int FileWrapperInit(PyObject* self, PyObject* args, PyObject* kwargs) {
  auto* fw = reinterpret_cast<FileWrapperObject*>(self);
  static const char* kwlist[] = {"filelike", "blksize", nullptr};
  PyObject* filelike;
  Py_ssize_t blksize = 8192;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|n:file_wrapper",
                                   const_cast<char**>(kwlist), &filelike,
                                   &blksize)) {
    return -1;
  }
  if (blksize <= 0) {
    PyErr_SetString(PyExc_ValueError, "blksize must be positive");
    return -1;
  }
  // The previous file (when __init__ runs again) is dropped last.
  PyRef previous =
      PyRef::Steal(std::exchange(fw->filelike, Py_NewRef(filelike)));
  fw->blksize = blksize;
  return 0;
}

PyObject* FileWrapperIter(PyObject* self) { return Py_NewRef(self); }

PyObject* FileWrapperNext(PyObject* self) {
  auto* fw = reinterpret_cast<FileWrapperObject*>(self);
  if (fw->filelike == nullptr) return nullptr;
  ModuleState* st = StateOfType(Py_TYPE(self));
  PyRef size = PyRef::Steal(PyLong_FromSsize_t(fw->blksize));
  if (!size) return nullptr;
  PyRef data = PyRef::Steal(
      PyObject_CallMethodOneArg(fw->filelike, st->str_read, size.get()));
  if (!data) return nullptr;
  Py_ssize_t length = PyObject_Length(data.get());
  if (length < 0) return nullptr;  // its TypeError is the app's error
  if (length == 0) return nullptr;  // StopIteration
  return data.release();
}

PyObject* FileWrapperClose(PyObject* self, PyObject*) {
  auto* fw = reinterpret_cast<FileWrapperObject*>(self);
  if (fw->filelike != nullptr) {
    ModuleState* st = StateOfType(Py_TYPE(self));
    PyRef close = PyRef::Steal(PyObject_GetAttr(fw->filelike, st->str_close));
    if (!close) {
      if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return nullptr;
      PyErr_Clear();
    } else if (!PyRef::Steal(PyObject_CallNoArgs(close.get()))) {
      return nullptr;
    }
  }
  Py_RETURN_NONE;
}

int FileWrapperTraverse(PyObject* self, visitproc visit, void* arg) {
  Py_VISIT(Py_TYPE(self));
  Py_VISIT(reinterpret_cast<FileWrapperObject*>(self)->filelike);
  return 0;
}

int FileWrapperClear(PyObject* self) {
  Py_CLEAR(reinterpret_cast<FileWrapperObject*>(self)->filelike);
  return 0;
}

void FileWrapperDealloc(PyObject* self) {
  PyObject_GC_UnTrack(self);
  FileWrapperClear(self);
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

PyMethodDef file_wrapper_methods[] = {
    {"close", FileWrapperClose, METH_NOARGS, "close the wrapped file"},
    {nullptr, nullptr, 0, nullptr}};

PyMemberDef file_wrapper_members[] = {
    {const_cast<char*>("filelike"), T_OBJECT,
     offsetof(FileWrapperObject, filelike), SUBHOST_READONLY, nullptr},
    {const_cast<char*>("blksize"), SUBHOST_T_PYSSIZET,
     offsetof(FileWrapperObject, blksize), SUBHOST_READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyType_Slot file_wrapper_slots[] = {
    {Py_tp_init, reinterpret_cast<void*>(FileWrapperInit)},
    {Py_tp_new, reinterpret_cast<void*>(PyType_GenericNew)},
    {Py_tp_dealloc, reinterpret_cast<void*>(FileWrapperDealloc)},
    {Py_tp_traverse, reinterpret_cast<void*>(FileWrapperTraverse)},
    {Py_tp_clear, reinterpret_cast<void*>(FileWrapperClear)},
    {Py_tp_iter, reinterpret_cast<void*>(FileWrapperIter)},
    {Py_tp_iternext, reinterpret_cast<void*>(FileWrapperNext)},
    {Py_tp_methods, file_wrapper_methods},
    {Py_tp_members, file_wrapper_members},
    {Py_tp_doc, const_cast<char*>(
                    "wsgi.file_wrapper(filelike, blksize=8192): a file sent "
                    "with sendfile(2) when it has a real descriptor")},
    {0, nullptr}};

PyType_Spec file_wrapper_spec = {
    "_subhost.FileWrapper", sizeof(FileWrapperObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, file_wrapper_slots};
}  // namespace

PyType_Spec* FileWrapperTypeSpec() { return &file_wrapper_spec; }

bool AsFileWrapper(ModuleState* st, PyObject* o, PyObject** filelike,
                   Py_ssize_t* blksize) {
  if (Py_TYPE(o) != TypeOf(st->file_wrapper_type)) return false;
  auto* fw = reinterpret_cast<FileWrapperObject*>(o);
  if (fw->filelike == nullptr) return false;
  *filelike = fw->filelike;
  *blksize = fw->blksize;
  return true;
}

}  // namespace subhost::python

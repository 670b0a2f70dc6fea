#include "engine/python/input_type.h"

#include "engine/python/py_ref.h"
#include "engine/python/wsgi_call.h"

namespace subhost::python {

namespace {

struct InputObject {
  PyObject_HEAD
  RequestBody* body;  // null once the request is over
};

RequestBody* InputBody(PyObject* self) {
  RequestBody* body = reinterpret_cast<InputObject*>(self)->body;
  if (body == nullptr) {
    PyErr_SetString(PyExc_ValueError,
                    "wsgi.input used after its request ended");
  }
  return body;
}

bool SizeArg(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t* out) {
  *out = -1;
  if (nargs > 1) {
    PyErr_SetString(PyExc_TypeError, "expected at most one argument");
    return false;
  }
  if (nargs == 0 || args[0] == Py_None) return true;
  *out = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
  return !(*out == -1 && PyErr_Occurred());
}

PyObject* InputRead(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
  Py_ssize_t n;
  if (!SizeArg(args, nargs, &n)) return nullptr;
  RequestBody* body = InputBody(self);
  return body ? body->Read(n) : nullptr;
}

PyObject* InputReadLine(PyObject* self, PyObject* const* args,
                        Py_ssize_t nargs) {
  Py_ssize_t n;
  if (!SizeArg(args, nargs, &n)) return nullptr;
  RequestBody* body = InputBody(self);
  return body ? body->ReadLine(n) : nullptr;
}

PyObject* InputReadLines(PyObject* self, PyObject* const* args,
                         Py_ssize_t nargs) {
  Py_ssize_t hint;
  if (!SizeArg(args, nargs, &hint)) return nullptr;
  RequestBody* body = InputBody(self);
  if (body == nullptr) return nullptr;
  PyRef lines = PyRef::Steal(PyList_New(0));
  if (!lines) return nullptr;
  Py_ssize_t total = 0;
  for (;;) {
    PyRef line = PyRef::Steal(body->ReadLine(-1));
    if (!line) return nullptr;
    Py_ssize_t size = PyBytes_GET_SIZE(line.get());
    if (size == 0) break;
    if (PyList_Append(lines.get(), line.get()) < 0) return nullptr;
    total += size;
    if (hint > 0 && total >= hint) break;
  }
  return lines.release();
}

PyObject* InputIter(PyObject* self) { return Py_NewRef(self); }

PyObject* InputNext(PyObject* self) {
  RequestBody* body = InputBody(self);
  if (body == nullptr) return nullptr;
  PyRef line = PyRef::Steal(body->ReadLine(-1));
  // An empty line is the end: null without an exception is StopIteration.
  if (!line || PyBytes_GET_SIZE(line.get()) == 0) return nullptr;
  return line.release();
}

PyMethodDef input_methods[] = {
    {"read", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(InputRead)),
     METH_FASTCALL, "read([size]) -> bytes"},
    {"readline",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(InputReadLine)),
     METH_FASTCALL, "readline([size]) -> bytes"},
    {"readlines",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(InputReadLines)),
     METH_FASTCALL, "readlines([hint]) -> list of bytes"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot input_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(PlainDealloc)},
    {Py_tp_iter, reinterpret_cast<void*>(InputIter)},
    {Py_tp_iternext, reinterpret_cast<void*>(InputNext)},
    {Py_tp_methods, input_methods},
    {Py_tp_doc, const_cast<char*>("wsgi.input: the request body")},
    {0, nullptr}};

PyType_Spec input_spec = {"_subhost.Input", sizeof(InputObject), 0,
                          Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                          input_slots};
}  // namespace

PyType_Spec* InputTypeSpec() { return &input_spec; }

PyObject* NewInput(ModuleState* st, RequestBody* body) {
  auto* o = PyObject_New(InputObject, TypeOf(st->input_type));
  if (o != nullptr) o->body = body;
  return reinterpret_cast<PyObject*>(o);
}

void AttachInput(PyObject* input, RequestBody* body) {
  reinterpret_cast<InputObject*>(input)->body = body;
}

}  // namespace subhost::python

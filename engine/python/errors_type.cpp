#include "engine/python/errors_type.h"

#include <fmt/format.h>

#include <string_view>
#include <utility>

#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

struct ErrorsObject {
  PyObject_HEAD
  Logger* logger;
  std::string* prefix;
  std::string* pending;  // an unfinished line
};

void ErrorsFlushPending(ErrorsObject* e) {
  if (!e->pending->empty()) {
    e->logger->Log(LogLevel::kWarning,
                   fmt::format("{}{}", *e->prefix, *e->pending));
    e->pending->clear();
  }
}

bool ErrorsWriteOne(ErrorsObject* e, PyObject* text) {
  if (!PyUnicode_Check(text)) {
    PyErr_Format(PyExc_TypeError, "wsgi.errors.write() takes str, not %.100s",
                 Py_TYPE(text)->tp_name);
    return false;
  }
  Py_ssize_t size;
  const char* data = PyUnicode_AsUTF8AndSize(text, &size);
  if (data == nullptr) return false;
  std::string_view rest(data, static_cast<size_t>(size));
  for (;;) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      e->pending->append(rest);
      break;
    }
    e->pending->append(rest.substr(0, nl));
    e->logger->Log(LogLevel::kWarning,
                   fmt::format("{}{}", *e->prefix, *e->pending));
    e->pending->clear();
    rest.remove_prefix(nl + 1);
  }
  return true;
}

PyObject* ErrorsWrite(PyObject* self, PyObject* text) {
  auto* e = reinterpret_cast<ErrorsObject*>(self);
  if (!ErrorsWriteOne(e, text)) return nullptr;
  return PyLong_FromSsize_t(PyUnicode_GET_LENGTH(text));
}

PyObject* ErrorsWriteLines(PyObject* self, PyObject* seq) {
  auto* e = reinterpret_cast<ErrorsObject*>(self);
  PyRef it = PyRef::Steal(PyObject_GetIter(seq));
  if (!it) return nullptr;
  while (PyRef item = PyRef::Steal(PyIter_Next(it.get()))) {
    if (!ErrorsWriteOne(e, item.get())) return nullptr;
  }
  if (PyErr_Occurred()) return nullptr;
  Py_RETURN_NONE;
}

PyObject* ErrorsFlush(PyObject* self, PyObject*) {
  ErrorsFlushPending(reinterpret_cast<ErrorsObject*>(self));
  Py_RETURN_NONE;
}

void ErrorsDealloc(PyObject* self) {
  auto* e = reinterpret_cast<ErrorsObject*>(self);
  if (e->pending) ErrorsFlushPending(e);
  delete e->logger;
  delete e->prefix;
  delete e->pending;
  PlainDealloc(self);
}

PyMethodDef errors_methods[] = {
    {"write", ErrorsWrite, METH_O, "write(str): log the text"},
    {"writelines", ErrorsWriteLines, METH_O, "writelines(seq of str)"},
    {"flush", ErrorsFlush, METH_NOARGS, "log an unfinished line"},
    {nullptr, nullptr, 0, nullptr}};

PyType_Slot errors_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(ErrorsDealloc)},
    {Py_tp_methods, errors_methods},
    {Py_tp_doc, const_cast<char*>("wsgi.errors: lines go to the server log")},
    {0, nullptr}};

PyType_Spec errors_spec = {"_subhost.Errors", sizeof(ErrorsObject), 0,
                           Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION,
                           errors_slots};
}  // namespace

PyType_Spec* ErrorsTypeSpec() { return &errors_spec; }

PyObject* NewErrors(ModuleState* st, const Logger& logger, std::string prefix) {
  auto* o = PyObject_New(ErrorsObject, TypeOf(st->errors_type));
  if (o == nullptr) return nullptr;
  o->logger = new Logger(logger);
  o->prefix = new std::string(std::move(prefix));
  o->pending = new std::string();
  return reinterpret_cast<PyObject*>(o);
}

}  // namespace subhost::python

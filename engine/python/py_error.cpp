#include "engine/python/py_error.h"

#include <fmt/format.h>

#include "engine/python/py_ref.h"

namespace subhost::python {

PyError FetchPendingError(ModuleState* st) {
  PyError out;
#if PY_VERSION_HEX >= 0x030C0000
  PyRef exc = PyRef::Steal(PyErr_GetRaisedException());
#else
  PyObject *raw_type, *raw_value, *raw_tb;
  PyErr_Fetch(&raw_type, &raw_value, &raw_tb);
  PyErr_NormalizeException(&raw_type, &raw_value, &raw_tb);
  PyRef type = PyRef::Steal(raw_type);
  PyRef tb = PyRef::Steal(raw_tb);
  PyRef exc = PyRef::Steal(raw_value);
  if (tb && exc) PyException_SetTraceback(exc.get(), tb.get());
#endif
  if (!exc) return out;
  out.summary = Py_TYPE(exc.get())->tp_name;
  if (PyRef text = PyRef::Steal(PyObject_Str(exc.get()))) {
    const char* s = PyUnicode_AsUTF8(text.get());
    if (s != nullptr && *s) out.summary = fmt::format("{}: {}", out.summary, s);
  }
  PyErr_Clear();
  PyObject* format = st != nullptr ? st->format_exception : nullptr;
  PyRef format_ref;
  if (format == nullptr) {
    PyRef tb_module = PyRef::Steal(PyImport_ImportModule("traceback"));
    if (tb_module) {
      format_ref = PyRef::Steal(
          PyObject_GetAttrString(tb_module.get(), "format_exception"));
      format = format_ref.get();
      if (st != nullptr && format != nullptr) {
        st->format_exception = Py_NewRef(format);
      }
    }
  }
  if (format != nullptr) {
    PyRef lines = PyRef::Steal(PyObject_CallOneArg(format, exc.get()));
    PyRef empty = PyRef::Steal(PyUnicode_FromString(""));
    if (lines && empty) {
      PyRef joined = PyRef::Steal(PyUnicode_Join(empty.get(), lines.get()));
      if (joined) {
        const char* s = PyUnicode_AsUTF8(joined.get());
        if (s != nullptr) out.traceback = s;
      }
    }
  }
  PyErr_Clear();
  if (out.traceback.empty()) out.traceback = out.summary;
  return out;
}

}  // namespace subhost::python

#include "engine/python/app_loader.h"

#include "engine/python/bootstrap_py.h"  // generated from bootstrap.py
#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

// Runs bootstrap.py as the module _subhost_boot and returns its namespace.
PyObject* Bootstrap() {
  PyRef ns = PyRef::Steal(PyDict_New());
  if (!ns) return nullptr;
  if (PyDict_SetItemString(ns.get(), "__builtins__", PyEval_GetBuiltins()) < 0 ||
      PyDict_SetItemString(ns.get(), "__name__",
                           PyRef::Steal(PyUnicode_FromString("_subhost_boot"))
                               .get()) < 0) {
    return nullptr;
  }
  // Compiled under its file's name, so that a traceback through it says
  // where to look.
  PyRef code = PyRef::Steal(Py_CompileString(
      embedded::kBootstrapPy, "<subhost: engine/python/bootstrap.py>",
      Py_file_input));
  if (!code) return nullptr;
  PyRef r = PyRef::Steal(PyEval_EvalCode(code.get(), ns.get(), ns.get()));
  if (!r) return nullptr;
  return ns.release();
}

PyObject* StringList(const std::vector<std::string>& items) {
  PyRef list = PyRef::Steal(PyList_New(0));
  if (!list) return nullptr;
  for (const std::string& s : items) {
    PyRef item = PyRef::Steal(
        PyUnicode_DecodeFSDefaultAndSize(s.data(), static_cast<Py_ssize_t>(s.size())));
    if (!item || PyList_Append(list.get(), item.get()) < 0) return nullptr;
  }
  return list.release();
}

}  // namespace

bool PrepareInterpreter(const InterpreterSetup& setup) {
  PyRef ns = PyRef::Steal(Bootstrap());
  if (!ns) return false;
  PyObject* prepare = PyDict_GetItemString(ns.get(), "prepare");
  PyRef path = PyRef::Steal(StringList(setup.python_path));
  PyRef blocked = PyRef::Steal(
      StringList(setup.is_main ? std::vector<std::string>{}
                               : setup.blocked_extensions));
  PyRef venv = PyRef::Steal(PyUnicode_DecodeFSDefault(setup.virtualenv.c_str()));
  PyRef environ;
  if (setup.is_main || setup.environ == nullptr) {
    environ = PyRef::Borrow(Py_None);
  } else {
    environ = PyRef::Steal(PyList_New(0));
    for (const auto& [k, v] : *setup.environ) {
      if (!environ) break;
      PyRef pair = PyRef::Steal(Py_BuildValue(
          "(NN)", PyUnicode_DecodeFSDefaultAndSize(k.data(), static_cast<Py_ssize_t>(k.size())),
          PyUnicode_DecodeFSDefaultAndSize(v.data(), static_cast<Py_ssize_t>(v.size()))));
      if (!pair || PyList_Append(environ.get(), pair.get()) < 0) return false;
    }
  }
  if (!prepare || !path || !blocked || !venv || !environ) return false;
  PyObject* args[] = {path.get(), venv.get(), blocked.get(), environ.get()};
  return static_cast<bool>(
      PyRef::Steal(PyObject_Vectorcall(prepare, args, 4, nullptr)));
}

PyObject* LoadApp(const mounts::MountTarget& target,
                  std::vector<std::string>* threads_started) {
  PyRef ns = PyRef::Steal(Bootstrap());
  if (!ns) return nullptr;
  PyObject* load = PyDict_GetItemString(ns.get(), "load");
  bool file = target.kind == mounts::MountTarget::Kind::kFile;
  PyRef kind = PyRef::Steal(PyUnicode_FromString(file ? "file" : "module"));
  PyRef path = PyRef::Steal(PyUnicode_DecodeFSDefault(target.file.c_str()));
  PyRef module = PyRef::Steal(PyUnicode_FromString(target.module.c_str()));
  PyRef callable = PyRef::Steal(PyUnicode_FromString(target.callable.c_str()));
  if (!load || !kind || !path || !module || !callable) return nullptr;
  PyObject* args[] = {kind.get(), path.get(), module.get(), callable.get()};
  PyRef loaded = PyRef::Steal(PyObject_Vectorcall(load, args, 4, nullptr));
  PyObject* app = nullptr;
  PyObject* threads = nullptr;
  if (!loaded || !PyArg_ParseTuple(loaded.get(), "OO!", &app, &PyList_Type,
                                   &threads)) {
    return nullptr;
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(threads); ++i) {
    PyRef text = PyRef::Steal(
        PyUnicode_AsEncodedString(PyList_GET_ITEM(threads, i), "utf-8",
                                  "backslashreplace"));
    if (!text) return nullptr;
    threads_started->emplace_back(PyBytes_AS_STRING(text.get()),
                                  static_cast<size_t>(PyBytes_GET_SIZE(text.get())));
  }
  return Py_NewRef(app);
}

}  // namespace subhost::python

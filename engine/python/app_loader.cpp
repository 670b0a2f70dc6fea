#include "engine/python/app_loader.h"

#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

// Runs in each interpreter; kept in Python because it is import machinery.
constexpr const char kBootstrap[] = R"PY(
import sys, os

def prepare(python_path, virtualenv, blocked, environ):
    if environ is not None:
        # os.environ starts as the process environment from before any app
        # ran, not as whatever earlier mounts put there: two Django sites
        # each setdefault() their own DJANGO_SETTINGS_MODULE. Only this
        # interpreter's view changes (no putenv).
        data = os.environ._data
        data.clear()
        for k, v in environ:
            data[os.environ.encodekey(k)] = os.environ.encodevalue(v)
    for p in reversed(python_path):
        p = os.path.abspath(p)
        if p not in sys.path:
            sys.path.insert(0, p)
    if virtualenv:
        import site
        ver = 'python%d.%d' % sys.version_info[:2]
        site.addsitedir(os.path.join(virtualenv, 'lib', ver, 'site-packages'))
    if blocked:
        sys.meta_path.insert(0, _Blocker(frozenset(blocked)))

class _Blocker:
    """Refuses extensions that share state across interpreters, so that
    their packages fall back to pure Python."""
    def __init__(self, names):
        self.names = names
    def find_spec(self, name, path=None, target=None):
        if name in self.names:
            raise ImportError(
                '%s is not loaded in a sub-interpreter: it shares state '
                'between interpreters (subhost blocked_extensions)' % name,
                name=name)
        return None

def _module_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.isidentifier() and stem not in sys.modules:
        return stem
    return 'subhost_file_' + ''.join(c if c.isalnum() else '_' for c in path)

def load(kind, file, module, callable_path):
    import importlib, importlib.util, importlib.machinery
    if kind == 'file':
        path = os.path.abspath(file)
        if not os.path.isfile(path):
            raise FileNotFoundError(2, 'No such file', path)
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = _module_name(path)
        loader = importlib.machinery.SourceFileLoader(name, path)
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            loader.exec_module(mod)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        where = file
    else:
        # As gunicorn and uWSGI do: modules are found from the working dir.
        if os.getcwd() not in sys.path and '' not in sys.path:
            sys.path.insert(0, os.getcwd())
        mod = importlib.import_module(module)
        where = module
    factory = callable_path.endswith('()')
    obj = mod
    for part in callable_path[:-2 if factory else None].split('.'):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError('%s has no callable %r' % (where, callable_path)) from None
    if factory:
        obj = obj()
    if not callable(obj):
        raise TypeError('%r in %s is not callable (it is %s)'
                        % (callable_path, where, type(obj).__name__))
    return obj
)PY";

PyObject* Bootstrap() {
  PyRef ns = PyRef::Steal(PyDict_New());
  if (!ns) return nullptr;
  if (PyDict_SetItemString(ns.get(), "__builtins__", PyEval_GetBuiltins()) < 0 ||
      PyDict_SetItemString(ns.get(), "__name__",
                           PyRef::Steal(PyUnicode_FromString("_subhost_boot"))
                               .get()) < 0) {
    return nullptr;
  }
  PyRef r = PyRef::Steal(
      PyRun_String(kBootstrap, Py_file_input, ns.get(), ns.get()));
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

PyObject* LoadApp(const mounts::MountTarget& target) {
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
  return PyObject_Vectorcall(load, args, 4, nullptr);
}

}  // namespace subhost::python

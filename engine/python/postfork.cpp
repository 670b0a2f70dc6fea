#include "engine/python/postfork.h"

#include <string_view>

#include <fmt/format.h>

#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

// Module-level generators seeded once per process at import: a fork copies
// their state, so every worker would draw the same "random" numbers (session
// ids, retry jitter, sampling) until reseeded. os.fork() would reseed
// `random` through its at-fork hook; nothing runs those hooks here.
struct Reseed {
  const char* module;
  const char* function;  // called with no argument: seeds from OS entropy
};
constexpr Reseed kReseed[] = {{"random", "seed"}, {"numpy.random", "seed"}};

// The bytes of a str as the file system encoding gives them back, so that
// a mountpoint round-trips exactly (it was decoded with surrogateescape).
std::string FsString(PyObject* text) {
  PyRef bytes = PyRef::Steal(PyUnicode_EncodeFSDefault(text));
  if (!bytes) {
    PyErr_Clear();
    return "?";
  }
  return std::string(PyBytes_AS_STRING(bytes.get()),
                     static_cast<size_t>(PyBytes_GET_SIZE(bytes.get())));
}

std::string HookName(PyObject* fn) {
  PyRef name = PyRef::Steal(PyObject_GetAttrString(fn, "__qualname__"));
  if (!name || !PyUnicode_Check(name.get())) {
    PyErr_Clear();
    name = PyRef::Steal(PyObject_Repr(fn));
    if (!name) {
      PyErr_Clear();
      return "?";
    }
  }
  return FsString(name.get());
}

// Calls module.function() if this interpreter imported module. False with
// a Python exception set when that call fails.
bool ReseedIfImported(const Reseed& r) {
  PyRef name = PyRef::Steal(PyUnicode_FromString(r.module));
  if (!name) return false;
  PyRef module = PyRef::Steal(PyImport_GetModule(name.get()));
  if (!module || module.get() == Py_None) return !PyErr_Occurred();
  PyRef fn = PyRef::Steal(PyObject_GetAttrString(module.get(), r.function));
  return fn && PyRef::Steal(PyObject_CallNoArgs(fn.get()));
}

// Logs a failure and its traceback under mount's prefix, and returns the
// line that names it for the caller's Status.
std::string Report(const Logger& log, const std::string& mount,
                   std::string_view what, const PyError& err) {
  std::string prefix = fmt::format("[mount '{}'] ", mount);
  log.Error(fmt::format("{}{} {}", prefix, what, err.summary));
  log.Lines(LogLevel::kError, prefix, err.traceback);
  return fmt::format("mount '{}': {} {}", mount, what, err.summary);
}

struct Hook {
  PyObject* fn;          // borrowed from the entry
  PyObject* mountpoint;  // borrowed from the entry
  std::uint64_t owner;
};

// Unpacks a (callable, mountpoint, owner) entry made by _subhost.postfork.
bool ParseHook(PyObject* entry, Hook* hook) {
  if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) return false;
  hook->fn = PyTuple_GET_ITEM(entry, 0);
  hook->mountpoint = PyTuple_GET_ITEM(entry, 1);
  hook->owner = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(entry, 2));
  if (hook->owner == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> RunAfterFork(ModuleState* st, std::uint64_t owner,
                                      const Logger& log) {
  std::vector<std::string> failures;
  for (const Reseed& r : kReseed) {
    if (ReseedIfImported(r)) continue;
    PyError err = FetchPendingError(st);
    failures.push_back(Report(log, FsString(st->mountpoint),
                              fmt::format("cannot reseed {}:", r.module),
                              err));
  }
  // A copy: a hook may register another one, which is for the next fork.
  PyRef hooks = PyRef::Steal(PySequence_List(st->postfork_hooks));
  if (!hooks) {
    PyError err = FetchPendingError(st);
    failures.push_back(Report(log, FsString(st->mountpoint),
                              "cannot list the postfork hooks:", err));
    return failures;
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks.get()); ++i) {
    Hook hook;
    if (!ParseHook(PyList_GET_ITEM(hooks.get(), i), &hook)) continue;
    if (hook.owner != owner) continue;
    if (PyRef::Steal(PyObject_CallNoArgs(hook.fn))) continue;
    PyError err = FetchPendingError(st);  // before more Python calls
    failures.push_back(Report(log, FsString(hook.mountpoint),
                              fmt::format("postfork hook '{}' raised",
                                          HookName(hook.fn)),
                              err));
  }
  return failures;
}

void ForgetHooks(ModuleState* st, std::uint64_t owner,
                 const std::string* mountpoint) {
  PyObject* hooks = st->postfork_hooks;
  if (hooks == nullptr) return;
  for (Py_ssize_t i = PyList_GET_SIZE(hooks); i-- > 0;) {
    Hook hook;
    if (!ParseHook(PyList_GET_ITEM(hooks, i), &hook)) continue;
    if (hook.owner != owner) continue;
    if (mountpoint != nullptr && FsString(hook.mountpoint) != *mountpoint) {
      continue;
    }
    if (PyList_SetSlice(hooks, i, i + 1, nullptr) < 0) PyErr_Clear();
  }
}

}  // namespace subhost::python

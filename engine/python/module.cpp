#include "engine/python/module.h"

#include <atomic>
#include <utility>

#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

int ModuleExec(PyObject* module) {
  ModuleState* st = GetState(module);
  if (InitState(module, st) < 0) return -1;
  if (PyModule_AddObjectRef(module, "FileWrapper", st->file_wrapper_type) <
      0) {
    return -1;
  }
  return 0;
}

int ModuleTraverse(PyObject* module, visitproc visit, void* arg) {
  ModuleState* st = GetState(module);
  return st == nullptr ? 0 : TraverseState(st, visit, arg);
}

int ModuleClear(PyObject* module) {
  ModuleState* st = GetState(module);
  if (st != nullptr) ClearState(st);
  return 0;
}

void ModuleFree(void* module) { ModuleClear(static_cast<PyObject*>(module)); }

PyObject* InterpreterId(PyObject*, PyObject*) {
  return PyLong_FromLongLong(PyInterpreterState_GetID(PyInterpreterState_Get()));
}

// ---- process identity and postfork hooks ------------------------------------

// Process-wide: one process, one place in the server. Set before any request
// (see SetProcessIdentity in engine.h); atomics so that a late reader still
// sees a whole value.
std::atomic<int> identity_worker_id{0};
std::atomic<int> identity_master_pid{0};
std::atomic<int> identity_num_workers{1};

PyObject* WorkerId(PyObject*, PyObject*) {
  return PyLong_FromLong(identity_worker_id.load(std::memory_order_relaxed));
}

PyObject* MasterPid(PyObject*, PyObject*) {
  return PyLong_FromLong(identity_master_pid.load(std::memory_order_relaxed));
}

PyObject* NumWorkers(PyObject*, PyObject*) {
  return PyLong_FromLong(identity_num_workers.load(std::memory_order_relaxed));
}

PyObject* Mountpoint(PyObject* module, PyObject*) {
  return Py_NewRef(GetState(module)->mountpoint);
}

// postfork(fn) -> fn: files fn under the mount being loaded, for
// Engine::AfterFork to call in this interpreter in each forked worker.
PyObject* Postfork(PyObject* module, PyObject* fn) {
  if (!PyCallable_Check(fn)) {
    PyErr_Format(PyExc_TypeError, "postfork() takes a callable, not %.100s",
                 Py_TYPE(fn)->tp_name);
    return nullptr;
  }
  ModuleState* st = GetState(module);
  PyRef entry = PyRef::Steal(Py_BuildValue(
      "(OOK)", fn, st->mountpoint,
      static_cast<unsigned long long>(st->loading_owner)));
  if (!entry || PyList_Append(st->postfork_hooks, entry.get()) < 0) {
    return nullptr;
  }
  return Py_NewRef(fn);
}

PyMethodDef module_methods[] = {
    {"interpreter_id", InterpreterId, METH_NOARGS,
     "interpreter_id() -> int: CPython's id of the running interpreter "
     "(0 is the main one)"},
    {"worker_id", WorkerId, METH_NOARGS,
     "worker_id() -> int: this worker's number, 1..N; 0 when the server "
     "runs in a single process"},
    {"masterpid", MasterPid, METH_NOARGS,
     "masterpid() -> int: the pid of the master process; 0 without one"},
    {"num_workers", NumWorkers, METH_NOARGS,
     "num_workers() -> int: how many worker processes serve requests"},
    {"mountpoint", Mountpoint, METH_NOARGS,
     "mountpoint() -> str: the mountpoint of the app being (or last) loaded "
     "in this interpreter; '' for the root mount"},
    {"postfork", Postfork, METH_O,
     "postfork(fn) -> fn: run fn() in this interpreter in every worker "
     "after it is forked (a decorator)"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, reinterpret_cast<void*>(ModuleExec)},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, nullptr}};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_subhost",
    "subhost's WSGI bridge: per-interpreter types and cached strings.",
    sizeof(ModuleState),
    module_methods,
    module_slots,
    ModuleTraverse,
    ModuleClear,
    ModuleFree};

}  // namespace

PyObject* InitSubhostModule() { return PyModuleDef_Init(&module_def); }

void SetProcessIdentity(const ProcessIdentity& identity) {
  identity_worker_id.store(identity.worker_id, std::memory_order_relaxed);
  identity_master_pid.store(identity.master_pid, std::memory_order_relaxed);
  identity_num_workers.store(identity.num_workers, std::memory_order_relaxed);
}

bool SetLoadingMount(ModuleState* st, const std::string& mountpoint,
                     std::uint64_t owner) {
  PyRef text = PyRef::Steal(PyUnicode_DecodeFSDefaultAndSize(
      mountpoint.data(), static_cast<Py_ssize_t>(mountpoint.size())));
  if (!text) return false;
  PyRef previous = PyRef::Steal(std::exchange(st->mountpoint, text.release()));
  st->loading_owner = owner;
  return true;
}

}  // namespace subhost::python

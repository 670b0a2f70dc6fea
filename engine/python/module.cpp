#include "engine/python/module.h"

#include <structmember.h>

#include <atomic>
#include <cctype>
#include <new>
#include <utility>

#include "engine/python/py_ref.h"
#include "engine/python/wsgi_call.h"

#if PY_VERSION_HEX >= 0x030C0000
#define SUBHOST_T_PYSSIZET Py_T_PYSSIZET
#define SUBHOST_READONLY Py_READONLY
#else
#define SUBHOST_T_PYSSIZET T_PYSSIZET
#define SUBHOST_READONLY READONLY
#endif

namespace subhost::python {

namespace {

const char* const kEnvKeyNames[kNumEnvKeys] = {
    "REQUEST_METHOD",   "SCRIPT_NAME",      "PATH_INFO",
    "QUERY_STRING",     "CONTENT_TYPE",     "CONTENT_LENGTH",
    "SERVER_NAME",      "SERVER_PORT",      "SERVER_PROTOCOL",
    "SERVER_SOFTWARE",  "REMOTE_ADDR",      "REMOTE_PORT",
    "REQUEST_URI",      "wsgi.version",     "wsgi.url_scheme",
    "wsgi.input",       "wsgi.errors",      "wsgi.multithread",
    "wsgi.multiprocess", "wsgi.run_once",   "wsgi.file_wrapper",
    "wsgi.input_terminated"};

ModuleState* StateOfType(PyTypeObject* type) {
  return static_cast<ModuleState*>(PyType_GetModuleState(type));
}

// ---- wsgi.input -------------------------------------------------------------

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
  PyObject* line = body->ReadLine(-1);
  if (line != nullptr && PyBytes_GET_SIZE(line) == 0) {
    Py_DECREF(line);
    return nullptr;  // StopIteration
  }
  return line;
}

void PlainDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
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

// ---- wsgi.errors ------------------------------------------------------------

struct ErrorsObject {
  PyObject_HEAD
  Logger* logger;
  std::string* prefix;
  std::string* pending;  // an unfinished line
};

void ErrorsFlushPending(ErrorsObject* e) {
  if (!e->pending->empty()) {
    e->logger->Log(LogLevel::kWarning, *e->prefix + *e->pending);
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
    e->logger->Log(LogLevel::kWarning, *e->prefix + *e->pending);
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

// ---- start_response ---------------------------------------------------------

struct StartResponseObject {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  WsgiCall* call;  // null once the request is over
};

PyObject* StartResponseCall(PyObject* self, PyObject* const* args,
                            size_t nargsf, PyObject* kwnames) {
  auto* sr = reinterpret_cast<StartResponseObject*>(self);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0) {
    // Only exc_info may be given by keyword.
    if (PyTuple_GET_SIZE(kwnames) != 1 || nargs != 2 ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0),
                                         "exc_info") != 0) {
      PyErr_SetString(PyExc_TypeError,
                      "start_response(status, headers, exc_info=None)");
      return nullptr;
    }
    nargs = 3;
  }
  if (sr->call == nullptr) {
    PyErr_SetString(PyExc_RuntimeError,
                    "start_response/write used after the request ended");
    return nullptr;
  }
  // The same object is start_response and the write() it returns: one
  // argument means write(data).
  if (nargs == 1) return sr->call->Write(args[0]);
  return sr->call->StartResponse(self, args, nargs);
}

PyMemberDef start_response_members[] = {
    {const_cast<char*>("__vectorcalloffset__"), SUBHOST_T_PYSSIZET,
     offsetof(StartResponseObject, vectorcall), SUBHOST_READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyType_Slot start_response_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(PlainDealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, start_response_members},
    {Py_tp_doc,
     const_cast<char*>("start_response(status, headers, exc_info=None) -> "
                       "write; write(data) when called with one argument")},
    {0, nullptr}};

PyType_Spec start_response_spec = {
    "_subhost.StartResponse", sizeof(StartResponseObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_DISALLOW_INSTANTIATION,
    start_response_slots};

// ---- wsgi.file_wrapper ------------------------------------------------------

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
  Py_XSETREF(fw->filelike, Py_NewRef(filelike));
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

// ---- the module -------------------------------------------------------------

template <typename F>
void ForEachObject(ModuleState* st, F f) {
  f(st->input_type);
  f(st->errors_type);
  f(st->start_response_type);
  f(st->file_wrapper_type);
  for (PyObject*& k : st->keys) f(k);
  for (PyObject*& k : st->header_keys) f(k);
  for (PyObject*& k : st->methods) f(k);
  f(st->http11);
  f(st->http10);
  f(st->scheme_http);
  f(st->scheme_https);
  f(st->empty_str);
  f(st->wsgi_version);
  f(st->str_close);
  f(st->str_fileno);
  f(st->str_read);
  f(st->format_exception);
  f(st->mountpoint);
  f(st->postfork_hooks);
}

std::string HeaderEnvKey(const char* name) {
  std::string key = "HTTP_";
  for (const char* p = name; *p; ++p) {
    key.push_back(*p == '-' ? '_' : static_cast<char>(std::toupper(
                                        static_cast<unsigned char>(*p))));
  }
  return key;
}

int ModuleExec(PyObject* module) {
  ModuleState* st = GetState(module);
  auto make_type = [&](PyType_Spec* spec, PyObject** out) {
    *out = PyType_FromModuleAndSpec(module, spec, nullptr);
    return *out != nullptr;
  };
  if (!make_type(&input_spec, &st->input_type) ||
      !make_type(&errors_spec, &st->errors_type) ||
      !make_type(&start_response_spec, &st->start_response_type) ||
      !make_type(&file_wrapper_spec, &st->file_wrapper_type)) {
    return -1;
  }
  bool ok = true;
  auto intern = [&](const char* s) {
    PyObject* o = PyUnicode_InternFromString(s);
    ok = ok && o != nullptr;
    return o;
  };
  for (int i = 0; i < kNumEnvKeys; ++i) st->keys[i] = intern(kEnvKeyNames[i]);
  for (int i = 0; i < kNumCommonHeaders; ++i) {
    st->header_keys[i] = intern(HeaderEnvKey(kCommonHeaders[i]).c_str());
  }
  for (int i = 0; i < kNumCommonMethods; ++i) {
    st->methods[i] = intern(kCommonMethods[i]);
  }
  st->http11 = intern("HTTP/1.1");
  st->http10 = intern("HTTP/1.0");
  st->scheme_http = intern("http");
  st->scheme_https = intern("https");
  st->empty_str = intern("");
  st->str_close = intern("close");
  st->str_fileno = intern("fileno");
  st->str_read = intern("read");
  st->wsgi_version = Py_BuildValue("(ii)", 1, 0);
  st->mountpoint = Py_NewRef(st->empty_str);
  st->postfork_hooks = PyList_New(0);
  if (!ok || st->wsgi_version == nullptr || st->postfork_hooks == nullptr) {
    return -1;
  }
  if (PyModule_AddObjectRef(module, "FileWrapper", st->file_wrapper_type) <
      0) {
    return -1;
  }
  return 0;
}

int ModuleTraverse(PyObject* module, visitproc visit, void* arg) {
  ModuleState* st = GetState(module);
  if (st == nullptr) return 0;
  int r = 0;
  ForEachObject(st, [&](PyObject*& o) {
    if (r == 0 && o != nullptr) r = visit(o, arg);
  });
  return r;
}

int ModuleClear(PyObject* module) {
  ModuleState* st = GetState(module);
  if (st != nullptr) ForEachObject(st, [](PyObject*& o) { Py_CLEAR(o); });
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

ModuleState* GetState(PyObject* module) {
  return static_cast<ModuleState*>(PyModule_GetState(module));
}

PyObject* NewInput(ModuleState* st, RequestBody* body) {
  auto* o = PyObject_New(InputObject, TypeOf(st->input_type));
  if (o != nullptr) o->body = body;
  return reinterpret_cast<PyObject*>(o);
}

void AttachInput(PyObject* input, RequestBody* body) {
  reinterpret_cast<InputObject*>(input)->body = body;
}

PyObject* NewErrors(ModuleState* st, const Logger& logger, std::string prefix) {
  auto* o = PyObject_New(ErrorsObject, TypeOf(st->errors_type));
  if (o == nullptr) return nullptr;
  o->logger = new Logger(logger);
  o->prefix = new std::string(std::move(prefix));
  o->pending = new std::string();
  return reinterpret_cast<PyObject*>(o);
}

PyObject* NewStartResponse(ModuleState* st, WsgiCall* call) {
  auto* o = PyObject_New(StartResponseObject, TypeOf(st->start_response_type));
  if (o == nullptr) return nullptr;
  o->vectorcall = StartResponseCall;
  o->call = call;
  return reinterpret_cast<PyObject*>(o);
}

void AttachStartResponse(PyObject* start_response, WsgiCall* call) {
  reinterpret_cast<StartResponseObject*>(start_response)->call = call;
}

bool AsFileWrapper(ModuleState* st, PyObject* o, PyObject** filelike,
                   Py_ssize_t* blksize) {
  if (Py_TYPE(o) != TypeOf(st->file_wrapper_type)) return false;
  auto* fw = reinterpret_cast<FileWrapperObject*>(o);
  if (fw->filelike == nullptr) return false;
  *filelike = fw->filelike;
  *blksize = fw->blksize;
  return true;
}

void SetProcessIdentity(const ProcessIdentity& identity) {
  identity_worker_id.store(identity.worker_id, std::memory_order_relaxed);
  identity_master_pid.store(identity.master_pid, std::memory_order_relaxed);
  identity_num_workers.store(identity.num_workers, std::memory_order_relaxed);
}

bool SetLoadingMount(ModuleState* st, const std::string& mountpoint,
                     std::uint64_t owner) {
  PyObject* text = PyUnicode_DecodeFSDefaultAndSize(
      mountpoint.data(), static_cast<Py_ssize_t>(mountpoint.size()));
  if (text == nullptr) return false;
  Py_SETREF(st->mountpoint, text);
  st->loading_owner = owner;
  return true;
}

PyError FetchPendingError(ModuleState* st) {
  PyError out;
#if PY_VERSION_HEX >= 0x030C0000
  PyRef exc = PyRef::Steal(PyErr_GetRaisedException());
#else
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (tb != nullptr && value != nullptr) PyException_SetTraceback(value, tb);
  Py_XDECREF(type);
  Py_XDECREF(tb);
  PyRef exc = PyRef::Steal(value);
#endif
  if (!exc) return out;
  out.summary = Py_TYPE(exc.get())->tp_name;
  if (PyRef text = PyRef::Steal(PyObject_Str(exc.get()))) {
    const char* s = PyUnicode_AsUTF8(text.get());
    if (s != nullptr && *s) out.summary.append(": ").append(s);
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

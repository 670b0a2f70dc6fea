// The `_subhost` extension module, built into the runtime and imported once
// per interpreter (multi-phase init, heap types): its state holds every
// Python object the WSGI bridge reuses, so nothing Python lives in a static.
// It also backs the public `subhost` module and the uWSGI stand-ins
// (worker_id, masterpid, postfork...; see app_loader.cpp), so the postfork
// hooks of an interpreter live in that interpreter's module state.
//
// Thread contract: every function here needs the GIL of the interpreter the
// module or object belongs to.
#ifndef SUBHOST_ENGINE_PYTHON_MODULE_H_
#define SUBHOST_ENGINE_PYTHON_MODULE_H_

#include <Python.h>

#include <cstdint>
#include <memory>
#include <string>

#include "engine/log.h"

namespace subhost::python {

class RequestBody;
class WsgiCall;

// Environ keys, interned once per interpreter.
enum EnvKey {
  kRequestMethod,
  kScriptName,
  kPathInfo,
  kQueryString,
  kContentType,
  kContentLength,
  kServerName,
  kServerPort,
  kServerProtocol,
  kServerSoftware,
  kRemoteAddr,
  kRemotePort,
  kRequestUri,
  kWsgiVersion,
  kWsgiUrlScheme,
  kWsgiInput,
  kWsgiErrors,
  kWsgiMultithread,
  kWsgiMultiprocess,
  kWsgiRunOnce,
  kWsgiFileWrapper,
  kWsgiInputTerminated,
  kNumEnvKeys
};

// Request headers common enough to keep their environ key ready.
inline constexpr const char* kCommonHeaders[] = {
    "Host",          "User-Agent",      "Accept",
    "Accept-Encoding", "Accept-Language", "Connection",
    "Cookie",        "Referer",         "Cache-Control",
    "Authorization", "Origin",          "X-Forwarded-For",
    "X-Forwarded-Proto", "X-Real-Ip",   "If-None-Match",
    "If-Modified-Since", "Upgrade-Insecure-Requests", "Pragma"};
inline constexpr int kNumCommonHeaders =
    sizeof(kCommonHeaders) / sizeof(kCommonHeaders[0]);

inline constexpr const char* kCommonMethods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"};
inline constexpr int kNumCommonMethods =
    sizeof(kCommonMethods) / sizeof(kCommonMethods[0]);

struct ModuleState {
  // Heap types, held as objects (see TypeOf).
  PyObject* input_type;
  PyObject* errors_type;
  PyObject* start_response_type;
  PyObject* file_wrapper_type;
  PyObject* keys[kNumEnvKeys];
  PyObject* header_keys[kNumCommonHeaders];
  PyObject* methods[kNumCommonMethods];
  PyObject* http11;
  PyObject* http10;
  PyObject* scheme_http;
  PyObject* scheme_https;
  PyObject* empty_str;
  PyObject* wsgi_version;  // (1, 0)
  PyObject* str_close;
  PyObject* str_fileno;
  PyObject* str_read;
  PyObject* format_exception;  // traceback.format_exception, loaded lazily
  // The mountpoint of the mount being (or last) loaded here, as a str: what
  // subhost.mountpoint answers and what a postfork hook is filed under.
  PyObject* mountpoint;
  // Registered postfork hooks, in order: a list of (callable, mountpoint,
  // owner) tuples, owner being the loading engine's serial (an int).
  PyObject* postfork_hooks;
  // The serial of the engine loading into this interpreter (plain data).
  std::uint64_t loading_owner;
};

// PyInit function registered with PyImport_AppendInittab.
PyObject* InitSubhostModule();

ModuleState* GetState(PyObject* module);

inline PyTypeObject* TypeOf(PyObject* type) {
  return reinterpret_cast<PyTypeObject*>(type);
}

// A new wsgi.input reading from body (which must outlive the object or be
// detached first by attaching null).
PyObject* NewInput(ModuleState* st, RequestBody* body);
void AttachInput(PyObject* input, RequestBody* body);

// A new wsgi.errors stream writing lines, prefixed, to logger.
PyObject* NewErrors(ModuleState* st, const Logger& logger, std::string prefix);

// A new start_response callable bound to call; calling it with one argument
// is write(). Attach null before call is destroyed.
PyObject* NewStartResponse(ModuleState* st, WsgiCall* call);
void AttachStartResponse(PyObject* start_response, WsgiCall* call);

// If o is a wsgi.file_wrapper made by this module, its file object
// (borrowed) and block size.
bool AsFileWrapper(ModuleState* st, PyObject* o, PyObject** filelike,
                   Py_ssize_t* blksize);

// The process's place in a multi-process server, read by worker_id(),
// masterpid() and num_workers() in every interpreter. Process-wide.
struct ProcessIdentity {
  int worker_id = 0;    // 1..N in a worker; 0 when single-process
  int master_pid = 0;   // 0 when there is no master
  int num_workers = 1;  // processes serving requests
};
void SetProcessIdentity(const ProcessIdentity& identity);

// Files the hooks registered from now on in st's interpreter under
// mountpoint and owner (an engine serial), and makes mountpoint what
// subhost.mountpoint answers there. False with a Python exception set.
bool SetLoadingMount(ModuleState* st, const std::string& mountpoint,
                     std::uint64_t owner);

struct PyError {
  std::string summary;    // "ValueError: bad thing"
  std::string traceback;  // the full formatted traceback
};
// Takes the pending exception (clearing it) and formats it.
PyError FetchPendingError(ModuleState* st);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_MODULE_H_

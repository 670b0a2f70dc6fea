// The `_subhost` module's per-interpreter state: every Python object the
// WSGI bridge reuses (its heap types, interned environ keys and strings, the
// postfork hooks), so that nothing Python lives in a C++ static.
//
// Thread contract: every function here needs the GIL of the interpreter the
// state belongs to.
#ifndef SUBHOST_ENGINE_PYTHON_MODULE_STATE_H_
#define SUBHOST_ENGINE_PYTHON_MODULE_STATE_H_

#include <Python.h>

#include <cstdint>

namespace subhost::python {

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

ModuleState* GetState(PyObject* module);

inline PyTypeObject* TypeOf(PyObject* type) {
  return reinterpret_cast<PyTypeObject*>(type);
}

// The state of the module that made a heap type (one of ours).
inline ModuleState* StateOfType(PyTypeObject* type) {
  return static_cast<ModuleState*>(PyType_GetModuleState(type));
}

// Fills st for module: makes the heap types and interns the strings. -1
// with a Python exception set on failure (ClearState then frees the rest).
int InitState(PyObject* module, ModuleState* st);
int TraverseState(ModuleState* st, visitproc visit, void* arg);
void ClearState(ModuleState* st);

// tp_dealloc of a heap type whose objects hold no Python references.
void PlainDealloc(PyObject* self);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_MODULE_STATE_H_

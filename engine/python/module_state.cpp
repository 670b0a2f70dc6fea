#include "engine/python/module_state.h"

#include <cctype>
#include <string>

#include "engine/python/errors_type.h"
#include "engine/python/file_wrapper_type.h"
#include "engine/python/input_type.h"
#include "engine/python/start_response_type.h"

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

}  // namespace

ModuleState* GetState(PyObject* module) {
  return static_cast<ModuleState*>(PyModule_GetState(module));
}

int InitState(PyObject* module, ModuleState* st) {
  auto make_type = [&](PyType_Spec* spec, PyObject** out) {
    *out = PyType_FromModuleAndSpec(module, spec, nullptr);
    return *out != nullptr;
  };
  if (!make_type(InputTypeSpec(), &st->input_type) ||
      !make_type(ErrorsTypeSpec(), &st->errors_type) ||
      !make_type(StartResponseTypeSpec(), &st->start_response_type) ||
      !make_type(FileWrapperTypeSpec(), &st->file_wrapper_type)) {
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
  return 0;
}

int TraverseState(ModuleState* st, visitproc visit, void* arg) {
  int r = 0;
  ForEachObject(st, [&](PyObject*& o) {
    if (r == 0 && o != nullptr) r = visit(o, arg);
  });
  return r;
}

void ClearState(ModuleState* st) {
  ForEachObject(st, [](PyObject*& o) { Py_CLEAR(o); });
}

void PlainDealloc(PyObject* self) {
  PyTypeObject* type = Py_TYPE(self);
  type->tp_free(self);
  Py_DECREF(type);
}

}  // namespace subhost::python

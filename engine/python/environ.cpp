#include "engine/python/environ.h"

#include <strings.h>

#include <cctype>
#include <charconv>
#include <string>

#include "engine/python/py_ref.h"

namespace subhost::python {

namespace {

PyObject* Latin1(std::string_view s) {
  return PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()),
                                nullptr);
}

// Steals value.
bool Set(PyObject* dict, PyObject* key, PyObject* value) {
  if (value == nullptr) return false;
  int r = PyDict_SetItem(dict, key, value);
  Py_DECREF(value);
  return r == 0;
}

PyObject* Method(ModuleState* st, std::string_view m) {
  for (int i = 0; i < kNumCommonMethods; ++i) {
    if (m == kCommonMethods[i]) return Py_NewRef(st->methods[i]);
  }
  return Latin1(m);
}

PyObject* Protocol(ModuleState* st, std::string_view p) {
  if (p == "HTTP/1.1") return Py_NewRef(st->http11);
  if (p == "HTTP/1.0") return Py_NewRef(st->http10);
  return Latin1(p);
}

PyObject* Number(std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  return PyUnicode_FromStringAndSize(buf, r.ptr - buf);
}

bool EqualsIgnoreCase(std::string_view a, const char* b) {
  return a.size() == std::char_traits<char>::length(b) &&
         strncasecmp(a.data(), b, a.size()) == 0;
}

// New reference to the environ key of a request header; null (no error set)
// for names that must not reach the app.
PyObject* HeaderKey(ModuleState* st, std::string_view name) {
  for (int i = 0; i < kNumCommonHeaders; ++i) {
    if (EqualsIgnoreCase(name, kCommonHeaders[i])) {
      return Py_NewRef(st->header_keys[i]);
    }
  }
  char buf[256];
  std::string big;
  char* out = buf;
  size_t size = name.size() + 5;
  if (size > sizeof buf) {
    big.resize(size);
    out = big.data();
  }
  memcpy(out, "HTTP_", 5);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    out[5 + i] = c == '-' ? '_' : static_cast<char>(std::toupper(
                                      static_cast<unsigned char>(c)));
  }
  return PyUnicode_DecodeLatin1(out, static_cast<Py_ssize_t>(size), nullptr);
}

// Adds one header; a repeated header is joined to the earlier value.
bool AddHeader(PyObject* env, PyObject* key, std::string_view value,
               bool is_cookie) {
  PyObject* earlier = PyDict_GetItemWithError(env, key);  // borrowed
  if (earlier == nullptr) {
    if (PyErr_Occurred()) return false;
    return Set(env, key, Latin1(value));
  }
  PyRef sep = PyRef::Steal(PyUnicode_FromString(is_cookie ? "; " : ", "));
  PyRef tail = PyRef::Steal(Latin1(value));
  if (!sep || !tail) return false;
  PyRef joined = PyRef::Steal(PyUnicode_Concat(earlier, sep.get()));
  if (!joined) return false;
  return Set(env, key, PyUnicode_Concat(joined.get(), tail.get()));
}

}  // namespace

PyObject* MakeEnvironTemplate(ModuleState* st, std::string_view script_name,
                              PyObject* errors, const EnvironFlags& flags) {
  PyRef env = PyRef::Steal(PyDict_New());
  if (!env) return nullptr;
  PyObject* d = env.get();
  PyObject** k = st->keys;
  bool ok = Set(d, k[kWsgiVersion], Py_NewRef(st->wsgi_version)) &&
            Set(d, k[kWsgiMultithread], PyBool_FromLong(flags.multithread)) &&
            Set(d, k[kWsgiMultiprocess],
                PyBool_FromLong(flags.multiprocess)) &&
            Set(d, k[kWsgiRunOnce], Py_NewRef(Py_False)) &&
            Set(d, k[kWsgiInputTerminated], Py_NewRef(Py_True)) &&
            Set(d, k[kWsgiErrors], Py_NewRef(errors)) &&
            Set(d, k[kWsgiFileWrapper],
                Py_NewRef(st->file_wrapper_type)) &&
            Set(d, k[kWsgiUrlScheme], Py_NewRef(st->scheme_http)) &&
            Set(d, k[kScriptName], Latin1(script_name)) &&
            Set(d, k[kServerSoftware], PyUnicode_FromString("subhost")) &&
            Set(d, k[kQueryString], Py_NewRef(st->empty_str));
  return ok ? env.release() : nullptr;
}

PyObject* BuildEnviron(ModuleState* st, PyObject* environ_template,
                       const Request& r, std::string_view /*script_name*/,
                       std::string_view path_info, PyObject* input) {
  PyRef env = PyRef::Steal(PyDict_Copy(environ_template));
  if (!env) return nullptr;
  PyObject* d = env.get();
  PyObject** k = st->keys;
  bool ok = Set(d, k[kRequestMethod], Method(st, r.method)) &&
            Set(d, k[kPathInfo], Latin1(path_info)) &&
            Set(d, k[kServerProtocol], Protocol(st, r.protocol)) &&
            Set(d, k[kServerName], Latin1(r.server_name)) &&
            Set(d, k[kServerPort], Number(r.server_port)) &&
            Set(d, k[kRemoteAddr], Latin1(r.remote_addr)) &&
            Set(d, k[kRemotePort], Number(r.remote_port)) &&
            Set(d, k[kWsgiInput], Py_NewRef(input));
  if (!ok) return nullptr;
  if (!r.query.empty() && !Set(d, k[kQueryString], Latin1(r.query))) {
    return nullptr;
  }
  if (r.query.empty()) {
    if (!Set(d, k[kRequestUri], Latin1(r.path))) return nullptr;
  } else {
    std::string uri;
    uri.reserve(r.path.size() + 1 + r.query.size());
    uri.append(r.path).append(1, '?').append(r.query);
    if (!Set(d, k[kRequestUri], Latin1(uri))) return nullptr;
  }
  if (r.scheme == "https" &&
      !Set(d, k[kWsgiUrlScheme], Py_NewRef(st->scheme_https))) {
    return nullptr;
  }
  for (const Header& h : r.headers) {
    std::string_view name = h.first;
    // A '_' in a name would let a client spoof a dash-named header.
    if (name.empty() || name.find('_') != std::string_view::npos) continue;
    if (EqualsIgnoreCase(name, "Content-Type")) {
      if (!Set(d, k[kContentType], Latin1(h.second))) return nullptr;
      continue;
    }
    if (EqualsIgnoreCase(name, "Content-Length")) continue;  // set below
    PyRef key = PyRef::Steal(HeaderKey(st, name));
    if (!key) return nullptr;
    if (!AddHeader(d, key.get(), h.second,
                   EqualsIgnoreCase(name, "Cookie"))) {
      return nullptr;
    }
  }
  // CONTENT_LENGTH always tells the size wsgi.input will really give.
  if (r.body_reader) {
    if (r.body_length >= 0 &&
        !Set(d, k[kContentLength],
             Number(static_cast<std::uint64_t>(r.body_length)))) {
      return nullptr;
    }
  } else if (!r.body.empty() || r.method == "POST" || r.method == "PUT" ||
             r.method == "PATCH") {
    if (!Set(d, k[kContentLength], Number(r.body.size()))) return nullptr;
  }
  return env.release();
}

}  // namespace subhost::python

#include "engine/python/environ.h"
#include "engine/text.h"


#include <cctype>
#include <charconv>
#include <cstring>
#include <string>

namespace subhost::python {

namespace {

PyObject* Latin1(std::string_view s) {
  return PyUnicode_DecodeLatin1(s.data(), static_cast<Py_ssize_t>(s.size()),
                                nullptr);
}

// Steals value (null: an error is pending).
bool Set(PyObject* dict, PyObject* key, PyObject* value) {
  PyRef owned = PyRef::Steal(value);
  return owned && PyDict_SetItem(dict, key, owned.get()) == 0;
}

bool Delete(PyObject* dict, PyObject* key) {
  if (PyDict_DelItem(dict, key) == 0) return true;
  if (!PyErr_ExceptionMatches(PyExc_KeyError)) return false;
  PyErr_Clear();
  return true;
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

PyObject* Scheme(ModuleState* st, std::string_view s) {
  if (s == "http") return Py_NewRef(st->scheme_http);
  if (s == "https") return Py_NewRef(st->scheme_https);
  return Latin1(s);
}

PyObject* Number(std::uint64_t n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  return PyUnicode_FromStringAndSize(buf, r.ptr - buf);
}

using text::EqualsIgnoreCase;

enum class HeaderKind { kSkip, kContentType, kContentLength, kCookie, kOther };

HeaderKind Classify(std::string_view name) {
  // A '_' in a name would let a client spoof a dash-named header.
  if (name.empty() || name.find('_') != std::string_view::npos) {
    return HeaderKind::kSkip;
  }
  if (EqualsIgnoreCase(name, "Content-Type")) return HeaderKind::kContentType;
  if (EqualsIgnoreCase(name, "Content-Length")) {
    return HeaderKind::kContentLength;
  }
  if (EqualsIgnoreCase(name, "Cookie")) return HeaderKind::kCookie;
  return HeaderKind::kOther;
}

// New reference to the HTTP_* environ key of a request header.
PyObject* HeaderKey(ModuleState* st, std::string_view name) {
  for (int i = 0; i < kNumCommonHeaders; ++i) {
    if (EqualsIgnoreCase(name, kCommonHeaders[i])) {
      return Py_NewRef(st->header_keys[i]);
    }
  }
  std::string key(name.size() + 5, '\0');
  memcpy(key.data(), "HTTP_", 5);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    key[5 + i] = c == '-' ? '_' : static_cast<char>(std::toupper(
                                      static_cast<unsigned char>(c)));
  }
  return Latin1(key);
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

bool RemoveHeaders(ModuleState* st, PyObject* env, const Headers& headers) {
  for (const Header& h : headers) {
    switch (Classify(h.first)) {
      case HeaderKind::kSkip:
      case HeaderKind::kContentLength:
        break;
      case HeaderKind::kContentType:
        if (!Delete(env, st->keys[kContentType])) return false;
        break;
      default: {
        PyRef key = PyRef::Steal(HeaderKey(st, h.first));
        if (!key || !Delete(env, key.get())) return false;
      }
    }
  }
  return true;
}

bool AddHeaders(ModuleState* st, PyObject* env, const Headers& headers) {
  for (const Header& h : headers) {
    HeaderKind kind = Classify(h.first);
    if (kind == HeaderKind::kSkip || kind == HeaderKind::kContentLength) {
      continue;  // CONTENT_LENGTH comes from the body itself
    }
    if (kind == HeaderKind::kContentType) {
      if (!Set(env, st->keys[kContentType], Latin1(h.second))) return false;
      continue;
    }
    PyRef key = PyRef::Steal(HeaderKey(st, h.first));
    if (!key || !AddHeader(env, key.get(), h.second,
                           kind == HeaderKind::kCookie)) {
      return false;
    }
  }
  return true;
}

// CONTENT_LENGTH always tells the size wsgi.input will really give.
std::int64_t ContentLength(const Request& r) {
  if (r.body_reader) return r.body_length;
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" ||
      r.method == "PATCH") {
    return static_cast<std::int64_t>(r.body.size());
  }
  return -1;
}

// Sets key from value when field differs, and records it.
template <typename T, typename V, typename Make>
bool Refresh(PyObject* env, PyObject* key, T* field, const V& value,
             Make make) {
  if (*field == value) return true;
  if (!Set(env, key, make())) return false;
  *field = value;
  return true;
}

}  // namespace

bool EnvironBuilder::Init(ModuleState* st, std::string_view script_name,
                          PyObject* errors, const EnvironFlags& flags) {
  st_ = st;
  template_ = PyRef::Steal(PyDict_New());
  if (!template_) return false;
  PyObject* d = template_.get();
  PyObject** k = st->keys;
  return Set(d, k[kWsgiVersion], Py_NewRef(st->wsgi_version)) &&
         Set(d, k[kWsgiMultithread], PyBool_FromLong(flags.multithread)) &&
         Set(d, k[kWsgiMultiprocess], PyBool_FromLong(flags.multiprocess)) &&
         Set(d, k[kWsgiRunOnce], Py_NewRef(Py_False)) &&
         Set(d, k[kWsgiInputTerminated], Py_NewRef(Py_True)) &&
         Set(d, k[kWsgiErrors], Py_NewRef(errors)) &&
         Set(d, k[kWsgiFileWrapper], Py_NewRef(st->file_wrapper_type)) &&
         Set(d, k[kScriptName], Latin1(script_name)) &&
         Set(d, k[kServerSoftware], PyUnicode_FromString("subhost")) &&
         // Placeholders so that every request key has its slot already.
         Set(d, k[kRequestMethod], Py_NewRef(st->empty_str)) &&
         Set(d, k[kPathInfo], Py_NewRef(st->empty_str)) &&
         Set(d, k[kQueryString], Py_NewRef(st->empty_str)) &&
         Set(d, k[kRequestUri], Py_NewRef(st->empty_str)) &&
         Set(d, k[kServerProtocol], Py_NewRef(st->empty_str)) &&
         Set(d, k[kWsgiUrlScheme], Py_NewRef(st->empty_str)) &&
         Set(d, k[kServerName], Py_NewRef(st->empty_str)) &&
         Set(d, k[kServerPort], Py_NewRef(st->empty_str)) &&
         Set(d, k[kRemoteAddr], Py_NewRef(st->empty_str)) &&
         Set(d, k[kRemotePort], Py_NewRef(st->empty_str)) &&
         Set(d, k[kWsgiInput], Py_NewRef(Py_None));
}

EnvironBuilder::Fields EnvironBuilder::Fresh() {
  Fields f;
  // Placeholders are "" (matching empty path, query and so on) except these.
  f.method = f.protocol = f.scheme = f.server_name = f.remote_addr = "\x01";
  return f;
}

PyObject* EnvironBuilder::TakeInput(RequestBody* body) {
  if (!spare_input_) return NewInput(st_, body);
  PyObject* o = spare_input_.release();
  AttachInput(o, body);
  return o;
}

PyObject* EnvironBuilder::TakeStartResponse(WsgiCall* call) {
  if (!spare_start_response_) return NewStartResponse(st_, call);
  PyObject* o = spare_start_response_.release();
  AttachStartResponse(o, call);
  return o;
}

void EnvironBuilder::Return(PyRef input, PyRef start_response) {
  if (input) {
    AttachInput(input.get(), nullptr);
    if (Py_REFCNT(input.get()) == 1 && !spare_input_) {
      spare_input_ = std::move(input);
    }
  }
  if (start_response) {
    AttachStartResponse(start_response.get(), nullptr);
    if (Py_REFCNT(start_response.get()) == 1 && !spare_start_response_) {
      spare_start_response_ = std::move(start_response);
    }
  }
}

void EnvironBuilder::Clear() {
  spare_input_.reset();
  spare_start_response_.reset();
  template_.reset();
  pristine_.reset();
  fields_ = Fields();
}

bool EnvironBuilder::Update(PyObject* env, Fields* have, const Request& r,
                            std::string_view path_info) {
  ModuleState* st = st_;
  PyObject** k = st->keys;
  bool uri_changed = have->path != r.path || have->query != r.query;
  if (uri_changed) {
    PyObject* uri;
    if (r.query.empty()) {
      uri = Latin1(r.path);
    } else {
      std::string s;
      s.reserve(r.path.size() + 1 + r.query.size());
      s.append(r.path).append(1, '?').append(r.query);
      uri = Latin1(s);
    }
    if (!Set(env, k[kRequestUri], uri)) return false;
    have->path = r.path;
  }
  std::string_view pi = path_info;
  std::int64_t length = ContentLength(r);
  bool ok =
      Refresh(env, k[kQueryString], &have->query, r.query,
              [&] { return Latin1(r.query); }) &&
      Refresh(env, k[kRequestMethod], &have->method, r.method,
              [&] { return Method(st, r.method); }) &&
      Refresh(env, k[kPathInfo], &have->path_info, pi,
              [&] { return Latin1(pi); }) &&
      Refresh(env, k[kServerProtocol], &have->protocol, r.protocol,
              [&] { return Protocol(st, r.protocol); }) &&
      Refresh(env, k[kWsgiUrlScheme], &have->scheme, r.scheme,
              [&] { return Scheme(st, r.scheme); }) &&
      Refresh(env, k[kServerName], &have->server_name, r.server_name,
              [&] { return Latin1(r.server_name); }) &&
      Refresh(env, k[kServerPort], &have->server_port,
              static_cast<std::int32_t>(r.server_port),
              [&] { return Number(r.server_port); }) &&
      Refresh(env, k[kRemoteAddr], &have->remote_addr, r.remote_addr,
              [&] { return Latin1(r.remote_addr); }) &&
      Refresh(env, k[kRemotePort], &have->remote_port,
              static_cast<std::int32_t>(r.remote_port),
              [&] { return Number(r.remote_port); });
  if (!ok) return false;
  if (length != have->content_length) {
    if (length >= 0) {
      if (!Set(env, k[kContentLength],
               Number(static_cast<std::uint64_t>(length)))) {
        return false;
      }
    } else if (!Delete(env, k[kContentLength])) {
      return false;
    }
    have->content_length = length;
  }
  if (have->headers != r.headers) {
    if (!RemoveHeaders(st, env, have->headers) ||
        !AddHeaders(st, env, r.headers)) {
      return false;
    }
    have->headers = r.headers;
  }
  return true;
}

PyObject* EnvironBuilder::Build(const Request& r, std::string_view path_info,
                                PyObject* input) {
  PyObject* st_input_key = st_->keys[kWsgiInput];
  if (busy_) {
    // Re-entered while another build holds the cache: build from scratch.
    PyRef env = PyRef::Steal(PyDict_Copy(template_.get()));
    Fields scratch = Fresh();
    if (!env || !Update(env.get(), &scratch, r, path_info) ||
        PyDict_SetItem(env.get(), st_input_key, input) < 0) {
      return nullptr;
    }
    return env.release();
  }
  busy_ = true;
  if (!pristine_) {
    pristine_ = PyRef::Steal(PyDict_Copy(template_.get()));
    fields_ = Fresh();
  }
  bool ok = pristine_ && Update(pristine_.get(), &fields_, r, path_info);
  PyRef env = ok ? PyRef::Steal(PyDict_Copy(pristine_.get())) : PyRef();
  if (!ok) pristine_.reset();  // half-updated: start over next time
  busy_ = false;
  if (!env || PyDict_SetItem(env.get(), st_input_key, input) < 0) {
    return nullptr;
  }
  return env.release();
}

}  // namespace subhost::python

// What building one request's PEP 3333 environ costs with the engine's
// EnvironBuilder, in a sub-interpreter, as WsgiCall::Run does it: Build, then
// the environ is dropped at the end of the iteration. wsgi.input is made once
// outside the loop. Compare by the ns_per_environ counter; the argument is
// the number of request headers (3: a typical API GET, 15: a browser page).
//
//   BM_Environ_SameRequest  the identical request each time: the builder's
//                           cache is a hit, so this is one dict copy plus the
//                           wsgi.input insert (the floor)
//   BM_Environ_NewPath      the same client, a new path, query and client port
//                           each time: the keep-alive steady state
//   BM_Environ_NewClient    header values differ from the previous request
//                           too (two clients in turn): every HTTP_* key is
//                           removed and added again (the worst case)
//
// blocks_leaked_per_environ (Python's allocated blocks after the loop minus
// before, per iteration) must stay 0: an environ that outlives its request
// would show there.
#include <benchmark/benchmark.h>

#include <Python.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/log.h"
#include "engine/python/activation.h"
#include "engine/python/environ.h"
#include "engine/python/interpreter.h"
#include "engine/python/module.h"
#include "engine/python/py_ref.h"
#include "engine/python/runtime.h"
#include "engine/python/wsgi_call.h"
#include "subhost/request.h"

namespace subhost::python {
namespace {

// What curl or an API client sends.
const Headers kApiHeaders = {{"Host", "api.example.com"},
                             {"User-Agent", "curl/7.88.1"},
                             {"Accept", "*/*"}};

// What Firefox sends for a page on a site it has visited: a mix of headers
// with a ready environ key and (Sec-Fetch-*, DNT) ones without.
const Headers kBrowserHeaders = {
    {"Host", "www.example.com"},
    {"User-Agent",
     "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0"},
    {"Accept",
     "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
     "image/webp,*/*;q=0.8"},
    {"Accept-Language", "en-US,en;q=0.5"},
    {"Accept-Encoding", "gzip, deflate, br"},
    {"Referer", "https://www.example.com/catalog"},
    {"Connection", "keep-alive"},
    {"Cookie", "session=9f8e7d6c5b4a39281706; theme=dark; consent=1"},
    {"Upgrade-Insecure-Requests", "1"},
    {"Sec-Fetch-Dest", "document"},
    {"Sec-Fetch-Mode", "navigate"},
    {"Sec-Fetch-Site", "same-origin"},
    {"Sec-Fetch-User", "?1"},
    {"If-None-Match", "\"5d8c72a5edda8\""},
    {"DNT", "1"}};

enum class Variation { kNone, kPath, kClient };

// The requests a benchmark cycles through, built before timing.
std::vector<Request> MakeRequests(int header_count, Variation variation) {
  const Headers& headers = header_count > 3 ? kBrowserHeaders : kApiHeaders;
  const int n = variation == Variation::kNone ? 1 : 64;
  std::vector<Request> requests(n);
  for (int i = 0; i < n; ++i) {
    Request& r = requests[i];
    r.path = "/items/" + std::to_string(1000 + i);
    r.query = "page=" + std::to_string(i % 7) + "&sort=name";
    r.headers = headers;
    r.remote_addr = "192.0.2.17";
    r.remote_port = static_cast<std::uint16_t>(40000 + i);
    r.server_name = "www.example.com";
    if (variation == Variation::kClient && i % 2 == 1) {
      // Same header names, other values: another client.
      r.remote_addr = "198.51.100.4";
      for (Header& h : r.headers) {
        if (h.first == "User-Agent") h.second += " (other)";
        if (h.first == "Cookie") h.second = "session=0123456789abcdef0123";
      }
    }
  }
  return requests;
}

Py_ssize_t AllocatedBlocks() {
  PyObject* fn = PySys_GetObject("getallocatedblocks");  // borrowed
  PyRef n = PyRef::Steal(fn ? PyObject_CallNoArgs(fn) : nullptr);
  if (!n) {
    PyErr_Clear();
    return 0;
  }
  return PyLong_AsSsize_t(n.get());
}

void RunEnviron(benchmark::State& state, Variation variation) {
  const std::vector<Request> requests =
      MakeRequests(static_cast<int>(state.range(0)), variation);
  Interpreter& main = Runtime::Acquire("");
  std::string error;
  std::unique_ptr<Interpreter> sub = Interpreter::CreateSub(main, {}, &error);
  if (!sub) {
    state.SkipWithError(error.c_str());
    Runtime::Release();
    return;
  }
  {
    Activation enter(*sub);
    Logger quiet([](LogLevel, std::string_view) {});
    PyRef module = PyRef::Steal(PyImport_ImportModule("_subhost"));
    ModuleState* st = module ? GetState(module.get()) : nullptr;
    PyRef errors =
        PyRef::Steal(st ? NewErrors(st, quiet, "[bench] ") : nullptr);
    EnvironBuilder builder;
    RequestBody body(requests[0]);
    PyRef input;
    if (!errors || !builder.Init(st, "", errors.get(), {}) ||
        !(input = PyRef::Steal(builder.TakeInput(&body)))) {
      PyErr_Clear();
      state.SkipWithError("environ set-up failed");
    } else {
      // One build first, so that the cache exists before the baseline.
      PyRef warm = PyRef::Steal(
          builder.Build(requests[0], requests[0].path, input.get()));
      if (!warm) PyErr_Clear();
      warm.reset();
      const Py_ssize_t refs_before = Py_REFCNT(input.get());
      const Py_ssize_t blocks_before = AllocatedBlocks();
      size_t i = 0;
      for (auto _ : state) {
        const Request& r = requests[i];
        i = i + 1 == requests.size() ? 0 : i + 1;
        PyRef env = PyRef::Steal(builder.Build(r, r.path, input.get()));
        if (!env) {
          PyErr_Clear();
          state.SkipWithError("Build failed");
          break;
        }
        benchmark::DoNotOptimize(env.get());
      }
      const Py_ssize_t blocks_after = AllocatedBlocks();
      if (Py_REFCNT(input.get()) != refs_before) {
        state.SkipWithError("an environ outlived its iteration");
      }
      const double n = static_cast<double>(state.iterations());
      state.SetItemsProcessed(state.iterations());
      state.counters["ns_per_environ"] = benchmark::Counter(
          n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
      state.counters["blocks_leaked_per_environ"] =
          n > 0 ? static_cast<double>(blocks_after - blocks_before) / n : 0;
    }
    builder.Return(std::move(input), PyRef());
    builder.Clear();
    errors.reset();
    module.reset();
  }
  sub->End(main);
  Runtime::Release();
}

void BM_Environ_SameRequest(benchmark::State& state) {
  RunEnviron(state, Variation::kNone);
}
BENCHMARK(BM_Environ_SameRequest)->Arg(3)->Arg(15);

void BM_Environ_NewPath(benchmark::State& state) {
  RunEnviron(state, Variation::kPath);
}
BENCHMARK(BM_Environ_NewPath)->Arg(3)->Arg(15);

void BM_Environ_NewClient(benchmark::State& state) {
  RunEnviron(state, Variation::kClient);
}
BENCHMARK(BM_Environ_NewClient)->Arg(3)->Arg(15);

}  // namespace
}  // namespace subhost::python

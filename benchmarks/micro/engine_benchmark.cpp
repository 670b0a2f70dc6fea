// What the engine's request path costs next to plain Python, and what an
// interpreter switch costs. Compare by the ns_per_request counter:
//
//   BM_Handle_Hello            Engine::Handle for samples/hello.py, buffered
//   BM_Handle_PythonBaseline   the same app called from a Python loop with a
//                              ready-made environ copy and a trivial
//                              start_response (the floor for any server)
//   BM_Interpreter_EnterLeave  enter + leave one sub-interpreter
//   BM_Interpreter_Switch      enter + leave two sub-interpreters in turn
#include <benchmark/benchmark.h>

#include <Python.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "engine/python/activation.h"
#include "engine/python/interpreter.h"
#include "engine/python/runtime.h"
#include "subhost/engine.h"

namespace {

using subhost::python::Activation;
using subhost::python::Interpreter;
using subhost::python::Runtime;

std::unique_ptr<subhost::Engine> MakeEngine() {
  subhost::Options options;
  options.log = [](subhost::LogLevel, std::string_view) {};
  auto engine = subhost::Engine::Create(options);
  auto s = engine->Mount("/", std::string(SUBHOST_SAMPLES) + "/hello.py");
  if (!s.ok()) throw std::runtime_error(s.message());
  return engine;
}

void ReportPerRequest(benchmark::State& state, double requests) {
  state.SetItemsProcessed(static_cast<int64_t>(requests));
  state.counters["ns_per_request"] = benchmark::Counter(
      requests, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Handle_Hello(benchmark::State& state) {
  auto engine = MakeEngine();
  subhost::Request request;
  request.path = "/hello";
  request.headers = {{"Host", "localhost:8080"},
                     {"User-Agent", "bench/1.0"},
                     {"Accept", "*/*"}};
  for (auto _ : state) {
    subhost::Response r = engine->Handle(request);
    benchmark::DoNotOptimize(r.body.data());
    if (r.status != 200) state.SkipWithError("not 200");
  }
  ReportPerRequest(state, static_cast<double>(state.iterations()));
}
BENCHMARK(BM_Handle_Hello);

constexpr int kBatch = 1000;

void BM_Handle_PythonBaseline(benchmark::State& state) {
  auto engine = MakeEngine();  // the same runtime set-up as above
  Interpreter& main = Runtime::Acquire("");
  {
    Activation enter(main);
    std::string code =
        "import importlib.util, io, sys, time\n"
        "spec = importlib.util.spec_from_file_location('hello_bench', '" +
        std::string(SUBHOST_SAMPLES) +
        "/hello.py')\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(mod)\n"
        "app = mod.application\n"
        "base = {'REQUEST_METHOD': 'GET', 'SCRIPT_NAME': '', 'PATH_INFO': "
        "'/hello', 'QUERY_STRING': '', 'SERVER_NAME': 'localhost', "
        "'SERVER_PORT': '80', 'SERVER_PROTOCOL': 'HTTP/1.1', "
        "'SERVER_SOFTWARE': 'x', 'REMOTE_ADDR': '127.0.0.1', 'REMOTE_PORT': "
        "'0', 'REQUEST_URI': '/hello', 'HTTP_HOST': 'localhost:8080', "
        "'HTTP_USER_AGENT': 'bench/1.0', 'HTTP_ACCEPT': '*/*', "
        "'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http', 'wsgi.input': "
        "io.BytesIO(), 'wsgi.errors': sys.stderr, 'wsgi.multithread': True, "
        "'wsgi.multiprocess': False, 'wsgi.run_once': False, "
        "'wsgi.input_terminated': True}\n"
        "def sr(status, headers, exc_info=None):\n"
        "    return None\n"
        "def run(n):\n"
        "    t = time.perf_counter()\n"
        "    for _ in range(n):\n"
        "        body = app(base.copy(), sr)\n"
        "        for chunk in body: pass\n"
        "        close = getattr(body, 'close', None)\n"
        "        if close: close()\n"
        "    return time.perf_counter() - t\n";
    PyObject* ns = PyDict_New();
    PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
    PyObject* r = PyRun_String(code.c_str(), Py_file_input, ns, ns);
    if (r == nullptr) {
      PyErr_Print();
      state.SkipWithError("baseline set-up failed");
    } else {
      Py_DECREF(r);
      PyObject* run = PyDict_GetItemString(ns, "run");
      for (auto _ : state) {
        PyObject* secs = PyObject_CallFunction(run, "i", kBatch);
        state.SetIterationTime(secs ? PyFloat_AsDouble(secs) : 0);
        Py_XDECREF(secs);
      }
      ReportPerRequest(state, static_cast<double>(state.iterations()) * kBatch);
    }
    Py_DECREF(ns);
  }
  Runtime::Release();
}
BENCHMARK(BM_Handle_PythonBaseline)->UseManualTime();

void BM_Interpreter_EnterLeave(benchmark::State& state) {
  auto engine = MakeEngine();
  Interpreter& main = Runtime::Acquire("");
  std::string error;
  auto sub = Interpreter::CreateSub(main, {}, &error);
  for (auto _ : state) {
    Activation enter(*sub);
    benchmark::ClobberMemory();
  }
  sub->End(main);
  Runtime::Release();
}
BENCHMARK(BM_Interpreter_EnterLeave);

void BM_Interpreter_Switch(benchmark::State& state) {
  auto engine = MakeEngine();
  Interpreter& main = Runtime::Acquire("");
  std::string error;
  auto a = Interpreter::CreateSub(main, {}, &error);
  auto b = Interpreter::CreateSub(main, {}, &error);
  for (auto _ : state) {
    { Activation enter(*a); }
    { Activation enter(*b); }
  }
  state.SetItemsProcessed(state.iterations() * 2);
  b->End(main);
  a->End(main);
  Runtime::Release();
}
BENCHMARK(BM_Interpreter_Switch);

}  // namespace

// What a mount costs in memory and time: creating its sub-interpreter,
// loading its app, ending it. Each benchmark first does one untimed round
// (its interpreter left out of the figures), so that shared libraries, .pyc
// files and the page cache are warm and what is left is the per-mount cost.
//
//   BM_Interpreter_RssPerMount/bare    RSS growth per interpreter with
//   BM_Interpreter_RssPerMount/hello   kRssInterpreters of them alive
//   BM_Interpreter_RssPerMount/flask   (rss_per_interpreter): bare
//                                      sub-interpreters, or mounts of
//                                      samples/hello.py or the Flask sample;
//                                      the time is for all of them together
//   BM_Interpreter_CreateEnd           Interpreter::CreateSub + End, nothing
//                                      imported: the floor for any mount
//   BM_Interpreter_Mount/hello         Engine::Create + Mount(hello.py) +
//                                      ~Engine, which ends the interpreter:
//                                      adds `_subhost`, the interpreter
//                                      set-up and the app's import
//   BM_Interpreter_Mount/flask         the same for samples/flask_app/app.py
//
// Times are per interpreter, in ms. Iteration counts are left to the library:
// the default min time gives tens of bare rounds and a handful of Flask
// ones; --benchmark_min_time=0.01 (the CI smoke run) gives one each. The
// RssPerMount ones run once, whatever the flags. rss_growth_per_cycle is
// what an ended interpreter does not give back (CPYTHON.md: recycle
// processes, not interpreters). A mount that cannot load (no Flask for this
// Python) is reported as skipped with the engine's error.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/python/interpreter.h"
#include "engine/python/runtime.h"
#include "subhost/engine.h"

namespace subhost {
namespace {

using python::Interpreter;
using python::Runtime;

constexpr int kRssInterpreters = 10;

// Resident set size in bytes, from /proc/self/statm.
double ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long size = 0, resident = 0;
  int fields = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (fields != 2) return 0;
  return static_cast<double>(resident) *
         static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// RSS after handing free heap pages back to the kernel, so that memory freed
// by earlier benchmarks and reused by the next interpreters counts as growth.
double TrimmedResidentBytes() {
  ::malloc_trim(0);
  return ResidentBytes();
}

benchmark::Counter Bytes(double bytes) {
  return benchmark::Counter(bytes, benchmark::Counter::kDefaults,
                            benchmark::Counter::kIs1024);
}

void ReportGrowthPerCycle(benchmark::State& state, double growth) {
  if (state.iterations() == 0) return;
  state.counters["rss_growth_per_cycle"] =
      Bytes(growth / static_cast<double>(state.iterations()));
}

std::string Sample(const char* name) {
  return std::string(SUBHOST_SAMPLES) + "/" + name;
}

std::unique_ptr<Engine> QuietEngine() {
  Options options;
  options.log = [](LogLevel, std::string_view) {};
  return Engine::Create(options);
}

// sample null: bare sub-interpreters. Every interpreter stays alive until
// the measurement is taken. Registered before the create-and-end benchmarks:
// the memory that ended Flask interpreters keep is reused by the next
// interpreters and would hide their growth (bare would show ~0.5 MiB).
void BM_Interpreter_RssPerMount(benchmark::State& state, const char* sample) {
  Interpreter& main = Runtime::Acquire("");
  auto engine = QuietEngine();
  std::vector<std::unique_ptr<Interpreter>> subs;
  auto add = [&](const std::string& mountpoint) {
    if (sample != nullptr) return engine->Mount(mountpoint, Sample(sample));
    std::string error;
    subs.push_back(Interpreter::CreateSub(main, {}, &error));
    return subs.back() ? Status::Ok() : Status::Error(error);
  };
  // The first interpreter pays once-per-process costs (shared libraries,
  // module files read into memory): keep it out of the baseline.
  Status s = add("/warm");
  const double rss_before = TrimmedResidentBytes();
  double rss_after = rss_before;
  for (auto _ : state) {
    for (int i = 0; i < kRssInterpreters && s.ok(); ++i) {
      s = add("/m" + std::to_string(i));
    }
    rss_after = TrimmedResidentBytes();
  }
  if (s.ok()) {
    state.counters["rss_per_interpreter"] =
        Bytes((rss_after - rss_before) / kRssInterpreters);
  } else {
    state.SkipWithError(s.message().c_str());
  }
  for (auto& sub : subs) {
    if (sub) sub->End(main);
  }
  engine.reset();
  Runtime::Release();
}
BENCHMARK_CAPTURE(BM_Interpreter_RssPerMount, bare, nullptr)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Interpreter_RssPerMount, hello, "hello.py")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(BM_Interpreter_RssPerMount, flask, "flask_app/app.py")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

void BM_Interpreter_CreateEnd(benchmark::State& state) {
  Interpreter& main = Runtime::Acquire("");
  std::string error;
  auto warm = Interpreter::CreateSub(main, {}, &error);
  if (!warm) {
    state.SkipWithError(error.c_str());
    Runtime::Release();
    return;
  }
  warm->End(main);
  const double rss_before = TrimmedResidentBytes();
  for (auto _ : state) {
    auto sub = Interpreter::CreateSub(main, {}, &error);
    if (!sub) {
      state.SkipWithError(error.c_str());
      break;
    }
    sub->End(main);
  }
  const double rss_after = TrimmedResidentBytes();
  ReportGrowthPerCycle(state, rss_after - rss_before);
  Runtime::Release();
}
BENCHMARK(BM_Interpreter_CreateEnd)->Unit(benchmark::kMillisecond);

void BM_Interpreter_Mount(benchmark::State& state, const char* sample) {
  const std::string target = Sample(sample);
  {
    auto warm = QuietEngine();
    Status s = warm->Mount("/", target);
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
  }
  const double rss_before = TrimmedResidentBytes();
  for (auto _ : state) {
    auto engine = QuietEngine();
    Status s = engine->Mount("/", target);
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      break;
    }
  }
  const double rss_after = TrimmedResidentBytes();
  ReportGrowthPerCycle(state, rss_after - rss_before);
}
BENCHMARK_CAPTURE(BM_Interpreter_Mount, hello, "hello.py")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Interpreter_Mount, flask, "flask_app/app.py")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace subhost

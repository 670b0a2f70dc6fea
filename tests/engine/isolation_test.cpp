// What sub-interpreters isolate, what they share, and many threads across
// many mounts at once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "subhost/engine.h"
#include "tests/engine/test_support.h"

namespace subhost {
namespace {

using testing::App;
using testing::Get;
using testing::JsonField;
using testing::LogCapture;
using testing::MakeEngine;

TEST(Isolation, EachMountHasItsOwnGlobalsModulesAndPath) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("state.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("state.py")).ok()) << log.All();
  for (int i = 0; i < 3; ++i) engine->Handle(Get("/a/x"));
  Response a = engine->Handle(Get("/a/setmod", "from-a"));
  Response b = engine->Handle(Get("/b/x"));
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  // Module globals: a has counted 4 requests, b only its own one.
  EXPECT_EQ(JsonField(a.body, "counter"), "4");
  EXPECT_EQ(JsonField(b.body, "counter"), "1");
  EXPECT_NE(JsonField(a.body, "interpreter"), JsonField(b.body, "interpreter"));
  EXPECT_NE(JsonField(a.body, "modules_id"), JsonField(b.body, "modules_id"));
  // sys.modules: what a put there, b does not see.
  EXPECT_EQ(JsonField(a.body, "marker_module"), "\"from-a\"");
  EXPECT_EQ(JsonField(b.body, "marker_module"), "\"None\"");
  auto engine_info = engine->Mounts();
  ASSERT_EQ(engine_info.size(), 2u);
  EXPECT_EQ(JsonField(a.body, "interpreter"),
            std::to_string(engine_info[0].interpreter_id));
}

TEST(Isolation, SysPathIsPerInterpreter) {
  LogCapture log;
  Options options;
  options.python_path = {"/tmp/subhost-test-path-entry"};
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/a", App("state.py")).ok());
  // A second mount loaded from another folder gets that folder first.
  ASSERT_TRUE(engine->Mount("/b", testing::Sample("hello.py")).ok());
  Response a = engine->Handle(Get("/a/x"));
  EXPECT_EQ(JsonField(a.body, "path0"), "\"" + std::string(SUBHOST_TEST_APPS) + "\"");
}

// Documents what is NOT isolated: the process environment and the cwd.
TEST(Isolation, EnvironmentAndWorkingDirectoryAreSharedByTheProcess) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("state.py")).ok());
  ASSERT_TRUE(engine->Mount("/b", App("state.py")).ok());
  std::string cwd = JsonField(engine->Handle(Get("/b/x")).body, "cwd");
  engine->Handle(Get("/a/setenv", "hello"));
  engine->Handle(Get("/a/chdir", "/tmp"));
  Response b = engine->Handle(Get("/b/x"));
  // os.environ is a per-interpreter snapshot: b's copy does not change...
  EXPECT_EQ(JsonField(b.body, "environ_shared"), "null");
  // ...but the C environment underneath is one per process.
  EXPECT_EQ(JsonField(b.body, "getenv_shared"), "null");
  EXPECT_STREQ(getenv("SUBHOST_TEST_SHARED"), "hello");
  // The working directory is the process's: a's chdir moved b too.
  EXPECT_EQ(JsonField(b.body, "cwd"), "\"/tmp\"");
  engine->Handle(Get("/a/chdir", cwd.substr(1, cwd.size() - 2)));
}

// Two Django sites each setdefault() DJANGO_SETTINGS_MODULE at import: the
// second must not inherit the first one's through the shared C environment.
TEST(Isolation, EachMountStartsFromTheEnvironmentBeforeAnyAppLoaded) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("settings_env.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("settings_env.py")).ok()) << log.All();
  for (const char* mp : {"/a/", "/b/"}) {
    std::string body = engine->Handle(Get(mp)).body;
    size_t space = body.find(' ');
    ASSERT_NE(space, std::string::npos) << body;
    EXPECT_EQ(body.substr(0, space), body.substr(space + 1)) << mp;
  }
}

TEST(Isolation, SingleInterpreterRunsEveryMountInTheMainInterpreter) {
  LogCapture log;
  Options options;
  options.single_interpreter = true;
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/a", App("state.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("state.py")).ok()) << log.All();
  Response a = engine->Handle(Get("/a/setmod", "from-a"));
  Response b = engine->Handle(Get("/b/x"));
  EXPECT_EQ(JsonField(a.body, "interpreter"), "0");
  EXPECT_EQ(JsonField(b.body, "interpreter"), "0");
  // One interpreter, one sys.modules: what a registers, b sees.
  EXPECT_EQ(JsonField(a.body, "modules_id"), JsonField(b.body, "modules_id"));
  EXPECT_EQ(JsonField(b.body, "marker_module"), "\"from-a\"");
}

TEST(Isolation, AMountMayAskForTheMainInterpreter) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/sub", App("state.py")).ok());
  MountOptions main_only;
  main_only.main_interpreter = true;
  ASSERT_TRUE(engine->Mount("/main", App("pep3333.py"), main_only).ok());
  EXPECT_EQ(JsonField(engine->Handle(Get("/main/interp")).body, "interpreter"),
            "0");
  EXPECT_NE(JsonField(engine->Handle(Get("/sub/x")).body, "interpreter"), "0");
}

// M threads x N mounts: every call must run in its own mount's interpreter
// and every mount's counter must come out exact.
void StressMounts(const Options& base, int threads, int mounts, int calls) {
  LogCapture log;
  auto engine = MakeEngine(log, base);
  for (int m = 0; m < mounts; ++m) {
    ASSERT_TRUE(engine->Mount("/m" + std::to_string(m), App("state.py")).ok())
        << log.All();
  }
  std::map<std::string, std::string> interp_of;
  for (const MountInfo& info : engine->Mounts()) {
    interp_of[info.mountpoint] = std::to_string(info.interpreter_id);
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        std::string mp = "/m" + std::to_string((t + i) % mounts);
        Response r = engine->Handle(Get(mp + "/x"));
        if (r.status != 200 || JsonField(r.body, "interpreter") !=
                                   interp_of[mp]) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  EXPECT_EQ(wrong.load(), 0);
  // Each mount saw exactly threads*calls/mounts requests, plus this one.
  for (int m = 0; m < mounts; ++m) {
    Response r = engine->Handle(Get("/m" + std::to_string(m) + "/x"));
    EXPECT_EQ(JsonField(r.body, "counter"),
              std::to_string(threads * calls / mounts + 1))
        << m;
  }
}

TEST(Isolation, ManyThreadsAcrossManyMountsEachRunInTheirOwnInterpreter) {
  StressMounts(Options{}, 8, 4, 200);
}

TEST(Isolation, OwnGilInterpretersServeConcurrently) {
  if (!OwnGilSupported()) {
    GTEST_SKIP() << "own-GIL sub-interpreters need CPython 3.13, this is "
                 << PythonVersion();
  }
  Options options;
  options.own_gil = true;
  StressMounts(options, 8, 4, 200);
}

// CPython 3.13.0 aborted at exit ("free(): invalid pointer") once two own-GIL
// interpreters had imported _datetime (python/cpython#136423). The whole
// life runs in a child so that its exit, Python's finalization included, is
// what is checked.
TEST(Isolation, OwnGilMountsWithDatetimeAndFlaskEndAndExitCleanly) {
  if (!OwnGilSupported()) {
    GTEST_SKIP() << "own-GIL sub-interpreters need CPython 3.13, this is "
                 << PythonVersion();
  }
  auto life = [] {
    LogCapture log;
    Options options;
    options.own_gil = true;
    options.python_path = {SUBHOST_SAMPLES, "/usr/lib/python3/dist-packages"};
    auto engine = MakeEngine(log, options);
    for (const char* mp : {"/d1", "/d2"}) {
      if (!engine->Mount(mp, App("datetime_app.py")).ok()) std::exit(10);
    }
    for (const char* mp : {"/f1", "/f2"}) {
      if (!engine->Mount(mp, "flask_app.app:app").ok()) std::exit(11);
    }
    for (const char* path : {"/d1/", "/d2/", "/f1/json", "/f2/json"}) {
      if (engine->Handle(Get(path)).status != 200) std::exit(12);
    }
    if (!log.Contains("own-GIL workaround") && PythonVersion().starts_with("3.13.")) {
      std::exit(13);
    }
    engine.reset();
    std::exit(0);
  };
  EXPECT_EXIT(life(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace subhost

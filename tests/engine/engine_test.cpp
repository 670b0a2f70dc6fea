// The public Engine API: mounting, routing, failures, streaming, shutdown.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
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
using testing::Sample;

TEST(Engine, ServesHelloAndLogsWhereTheAppIsReady) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", Sample("hello.py")).ok()) << log.All();
  Response r = engine->Handle(Get("/anything"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "Hello, World!\n");
  EXPECT_EQ(r.Header("content-type"), "text/plain");
  EXPECT_EQ(r.mountpoint, "");
  std::string pid = "pid: " + std::to_string(getpid());
  EXPECT_TRUE(log.Contains("WSGI app 0 (mountpoint='') ready in ")) << log.All();
  EXPECT_TRUE(log.Contains(pid + " (default app)")) << log.All();
  EXPECT_TRUE(log.Contains(" on interpreter 1 ")) << log.All();
}

TEST(Engine, UnmatchedPathWithoutRootMountIs404) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/api", App("state.py")).ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/apix")).status, 404);
  EXPECT_EQ(engine->Handle(Get("/")).status, 404);
  Response r = engine->Handle(Get("/api/x"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.mountpoint, "/api");
}

TEST(Engine, RoutesByLongestWholeSegmentPrefixAndSplitsScriptName) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
  ASSERT_TRUE(engine->Mount("/a", App("state.py")).ok());
  ASSERT_TRUE(engine->Mount("/a/b/", App("state.py")).ok());
  struct Case {
    const char* path;
    const char* script_name;
    const char* path_info;
  } cases[] = {
      {"/a", "\"/a\"", "\"\""},         {"/a/", "\"/a\"", "\"/\""},
      {"/a/b", "\"/a/b\"", "\"\""},     {"/a/b/c/", "\"/a/b\"", "\"/c/\""},
      {"/ab", "\"\"", "\"/ab\""},       {"/a/bc", "\"/a\"", "\"/bc\""},
      {"/%61/b", "\"/a/b\"", "\"\""},   {"/x%20y", "\"\"", "\"/x y\""},
  };
  for (const Case& c : cases) {
    Response r = engine->Handle(Get(c.path));
    ASSERT_EQ(r.status, 200) << c.path;
    EXPECT_EQ(JsonField(r.body, "script_name"), c.script_name) << c.path;
    EXPECT_EQ(JsonField(r.body, "path_info"), c.path_info) << c.path;
  }
}

TEST(Engine, BrokenMountNamesFileAndExceptionAndOthersStillServe) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", Sample("hello.py")).ok());
  Status s = engine->Mount("/broken", App("broken_import.py"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/broken"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("broken_import.py"), std::string::npos);
  EXPECT_NE(s.message().find("ZeroDivisionError: division by zero"),
            std::string::npos)
      << s.message();
  // The traceback, pointing at the failing line, is in the log.
  EXPECT_TRUE(log.Contains("broken_import.py\", line 2")) << log.All();
  ASSERT_TRUE(engine->Mount("/after", App("state.py")).ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/")).body, "Hello, World!\n");
  EXPECT_EQ(engine->Handle(Get("/after/x")).status, 200);
  // The failed mountpoint stays taken: never the root app's answer there.
  Response r = engine->Handle(Get("/broken/x"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.result, RequestResult::kMountFailed);
  EXPECT_NE(r.body.find("'/broken'"), std::string::npos) << r.body;
}

TEST(Engine, LoadErrorsAreReportedNotFatal) {
  LogCapture log;
  auto engine = MakeEngine(log);
  struct Case {
    const char* target;
    const char* expect;
  } cases[] = {
      {"/no/such/file.py", "FileNotFoundError"},
      {"no_such_module_xyz", "ModuleNotFoundError"},
      {"json:no_such_callable", "no callable 'no_such_callable'"},
      {"json:__doc__", "is not callable"},
  };
  for (const Case& c : cases) {
    Status s = engine->Mount("/x", c.target);
    ASSERT_FALSE(s.ok()) << c.target;
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("mount '/x'"), std::string::npos);
  }
  Status bad = engine->Mount("no-slash", Sample("hello.py"));
  EXPECT_FALSE(bad.ok());
  ASSERT_TRUE(engine->Mount("/x", Sample("hello.py")).ok()) << log.All();
  Status dup = engine->Mount("/x/", Sample("hello.py"));
  EXPECT_FALSE(dup.ok());
  EXPECT_NE(dup.message().find("already mounted"), std::string::npos);
}

TEST(Engine, ModuleTargetsAndFactories) {
  LogCapture log;
  Options options;
  options.python_path = {SUBHOST_TEST_APPS};
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/m", "state").ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/c", "state:application").ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/f", "factory:make_app()").ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/m/")).status, 200);
  EXPECT_EQ(engine->Handle(Get("/c/")).status, 200);
  Response r = engine->Handle(Get("/f/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "made by factory");
}

TEST(Engine, AnExistingDotWsgiFileIsAFileNotAModule) {
  LogCapture log;
  Options options;
  options.chdir = SUBHOST_TEST_APPS;
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/w", "plain.wsgi").ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/w/")).body, "from a .wsgi file");
}

TEST(Engine, MountOffTheOwnerThreadIsRefused) {
  LogCapture log;
  auto engine = MakeEngine(log);
  Status s;
  std::thread([&] { s = engine->Mount("/", Sample("hello.py")); }).join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("owner thread"), std::string::npos);
}

TEST(Engine, OwnGilIsRefusedBeforePython313) {
  if (OwnGilSupported()) GTEST_SKIP() << "own GIL works on " << PythonVersion();
  Options options;
  options.own_gil = true;
  EXPECT_THROW(Engine::Create(options), std::runtime_error);
}

class RecordingSink : public ResponseSink {
 public:
  bool Start(int status, std::string_view reason, Headers headers) override {
    events.push_back("start " + std::to_string(status) + " " +
                     std::string(reason) + " " +
                     std::to_string(headers.size()));
    return true;
  }
  bool Write(std::string_view chunk) override {
    events.push_back("write " + std::string(chunk));
    return writes_left-- > 0;
  }
  void Finish(bool ok) override {
    events.push_back(ok ? "finish ok" : "finish cut");
  }
  std::vector<std::string> events;
  int writes_left = 1000;
};

TEST(Engine, StreamingHandsChunksToTheSinkAsTheAppYieldsThem) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("pep3333.py")).ok()) << log.All();
  RecordingSink sink;
  RequestOutcome out = engine->Handle(Get("/generator"), sink);
  std::vector<std::string> want = {"start 200 OK 1", "write a", "write b",
                                   "finish ok"};
  EXPECT_EQ(sink.events, want);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body_bytes, 2u);
  EXPECT_TRUE(out.completed);
  EXPECT_FALSE(out.app_error);
}

TEST(Engine, PeerGoneStopsTheResponseButCloseStillRuns) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("pep3333.py")).ok()) << log.All();
  RecordingSink sink;
  sink.writes_left = 0;  // the first write fails
  RequestOutcome out = engine->Handle(Get("/close_ok"), sink);
  EXPECT_FALSE(out.completed);
  std::vector<std::string> want = {"start 200 OK 1", "write a", "finish cut"};
  EXPECT_EQ(sink.events, want);
  EXPECT_EQ(JsonField(engine->Handle(Get("/close_count")).body, "count"), "1");
}

TEST(Engine, ManyThreadsThenShutdownEndsCleanly) {
  LogCapture log;
  {
    auto engine = MakeEngine(log);
    ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
    ASSERT_TRUE(engine->Mount("/b", App("state.py")).ok());
    std::vector<std::thread> threads;
    // Some threads exit (deleting their thread states) before the engine
    // ends; the engine deletes the states of the one still parked below.
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          ASSERT_EQ(engine->Handle(Get(i % 2 ? "/b/x" : "/x")).status, 200);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  // A second engine in the same process starts from scratch.
  auto again = MakeEngine(log);
  ASSERT_TRUE(again->Mount("/", App("state.py")).ok());
  EXPECT_EQ(JsonField(again->Handle(Get("/")).body, "counter"), "1");
}

TEST(Engine, EngineEndsWhileAThreadThatUsedItIsStillAlive) {
  LogCapture log;
  std::mutex mu;
  std::condition_variable cv;
  bool engine_gone = false;
  std::thread parked;
  {
    auto engine = MakeEngine(log);
    ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
    bool served = false;
    parked = std::thread([&] {
      Response r = engine->Handle(Get("/"));
      std::unique_lock<std::mutex> lock(mu);
      served = r.status == 200;
      cv.notify_all();
      cv.wait(lock, [&] { return engine_gone; });
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return served; });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    engine_gone = true;
  }
  cv.notify_all();
  parked.join();  // its thread-exit cleanup must skip the ended interpreter
  auto again = MakeEngine(log);
  ASSERT_TRUE(again->Mount("/", App("state.py")).ok());
  EXPECT_EQ(again->Handle(Get("/")).status, 200);
}

}  // namespace
}  // namespace subhost

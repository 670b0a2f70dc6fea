// The embedding API as a host program meets it: calls the headers document
// made from unusual places (a sub-request from inside a sink or a body
// reader, the Engine torn down on another thread).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "subhost/engine.h"
#include "tests/engine/test_support.h"

namespace subhost {
namespace {

using testing::App;
using testing::BodySink;
using testing::Get;
using testing::LogCapture;
using testing::JsonField;
using testing::MakeEngine;

// At Start and at each Write, runs a sub-request through the same engine
// and keeps the body it got.
class SubRequestSink : public ResponseSink {
 public:
  SubRequestSink(Engine& engine, std::string path, bool may_block)
      : engine_(engine), path_(std::move(path)), may_block_(may_block) {}

  bool Start(int, std::string_view, Headers) override {
    sub_bodies.push_back(engine_.Handle(Get(path_)).body);
    return true;
  }
  bool Write(std::string_view chunk) override {
    body.append(chunk);
    sub_bodies.push_back(engine_.Handle(Get(path_)).body);
    return true;
  }
  void Finish(bool ok) override {
    finished_ok = ok;
    sub_bodies.push_back(engine_.Handle(Get(path_)).body);
  }
  bool MayBlock() const override { return may_block_; }

  std::string body;
  std::vector<std::string> sub_bodies;
  bool finished_ok = false;

 private:
  Engine& engine_;
  std::string path_;
  bool may_block_;
};

class EngineEmbedding : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = MakeEngine(log_);
    ASSERT_TRUE(engine_->Mount("/", App("sink_app.py")).ok()) << log_.All();
    ASSERT_TRUE(engine_->Mount("/other", App("sink_app.py")).ok())
        << log_.All();
  }

  void ExpectSubRequestsServed(const std::string& path, bool may_block) {
    SCOPED_TRACE(path + (may_block ? " from a blocking sink"
                                   : " from a non-blocking sink"));
    SubRequestSink sink(*engine_, path, may_block);
    RequestOutcome out = engine_->Handle(Get("/chunks"), sink);
    EXPECT_TRUE(out.completed);
    EXPECT_FALSE(out.app_error) << log_.All();
    EXPECT_TRUE(sink.finished_ok);
    EXPECT_EQ(sink.body, "onetwo");
    std::vector<std::string> want(4, "pong");  // start, 2 writes, finish
    EXPECT_EQ(sink.sub_bodies, want) << log_.All();
    EXPECT_EQ(engine_->Handle(Get("/ping")).body, "pong");
  }

  LogCapture log_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineEmbedding, ASinkCanHandleASubRequestToAnotherMount) {
  ExpectSubRequestsServed("/other/ping", /*may_block=*/true);
  ExpectSubRequestsServed("/other/ping", /*may_block=*/false);
}

TEST_F(EngineEmbedding, ASinkCanHandleASubRequestToItsOwnMount) {
  ExpectSubRequestsServed("/ping", /*may_block=*/true);
  ExpectSubRequestsServed("/ping", /*may_block=*/false);
}

TEST_F(EngineEmbedding, ASubRequestInsideAWaitScopeInsideASinkIsServed) {
  struct Sink : ResponseSink {
    explicit Sink(Engine& e) : engine(e) {}
    bool Start(int, std::string_view, Headers) override {
      WaitScope unlocked;
      got += engine.Handle(Get("/other/ping")).body;
      WaitScope nested;
      got += engine.Handle(Get("/ping")).body;
      return true;
    }
    bool Write(std::string_view) override { return true; }
    bool MayBlock() const override { return false; }
    Engine& engine;
    std::string got;
  } sink(*engine_);
  engine_->Handle(Get("/chunks"), sink);
  EXPECT_EQ(sink.got, "pongpong") << log_.All();
}

TEST_F(EngineEmbedding, ABodyReaderCanHandleASubRequest) {
  struct Reader : BodyReader {
    explicit Reader(Engine& e) : engine(e) {}
    std::ptrdiff_t Read(char* buffer, std::size_t size) override {
      got += engine.Handle(Get(reads % 2 ? "/ping" : "/other/ping")).body;
      if (reads++ > 0 || size < 3) return 0;
      std::string("abc").copy(buffer, 3);
      return 3;
    }
    Engine& engine;
    std::string got;
    int reads = 0;
  };
  auto reader = std::make_shared<Reader>(*engine_);
  Request r = Get("/echo");
  r.method = "POST";
  r.body_reader = reader;
  r.body_length = 3;
  Response resp = engine_->Handle(r);
  EXPECT_EQ(resp.status, 200) << log_.All();
  EXPECT_EQ(resp.body, "abc");
  EXPECT_EQ(reader->got.substr(0, 8), "pongpong");
}

TEST(EngineEmbeddingTeardown, AnEngineDestroyedOnAnotherThreadLogsAndLeaves) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("sink_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/main", App("sink_app.py"), {true}).ok())
      << log.All();
  EXPECT_EQ(engine->Handle(Get("/ping")).body, "pong");
  std::thread([&engine] { engine.reset(); }).join();
  EXPECT_TRUE(log.Contains("off its owner thread")) << log.All();
  // The process and the runtime are still usable.
  auto next = MakeEngine(log);
  ASSERT_TRUE(next->Mount("/", App("sink_app.py")).ok()) << log.All();
  EXPECT_EQ(next->Handle(Get("/ping")).body, "pong");
}

TEST(EngineEmbeddingTeardown, AnEngineMadeOnAnotherThreadCanBeDestroyedHere) {
  LogCapture log;
  std::unique_ptr<Engine> engine;
  std::thread([&] {
    engine = MakeEngine(log);
    ASSERT_TRUE(engine->Mount("/", App("sink_app.py")).ok()) << log.All();
    EXPECT_EQ(engine->Handle(Get("/ping")).body, "pong");
  }).join();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->Handle(Get("/ping")).body, "pong");
  engine.reset();
  EXPECT_TRUE(log.Contains("off its owner thread")) << log.All();
}

// Mounts a broken app at /broken over a root app that would answer anything.
TEST(EngineFailedMount, ItsRequestsGet503NamingTheMountNeverTheRootApp) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
  Status s = engine->Mount("/broken", App("broken_import.py"));
  EXPECT_EQ(s.code(), StatusCode::kPythonError) << s.message();
  std::string logged = log.All();
  for (const char* path : {"/broken", "/broken/", "/broken/x%20y"}) {
    Response r = engine->Handle(Get(path));
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_EQ(r.result, RequestResult::kMountFailed);
    EXPECT_EQ(r.body,
              "503 Service Unavailable: the app at mount '/broken' failed "
              "to load\n");
    EXPECT_EQ(r.mountpoint, "/broken");
    EXPECT_LT(r.mount_id, 0);
    EXPECT_EQ(r.Header("Content-Length"), std::to_string(r.body.size()));
  }
  // Logged once, at Mount: requests add nothing to the log.
  EXPECT_EQ(log.All(), logged);
  // Neighbours are untouched; the root app never saw /broken.
  EXPECT_EQ(JsonField(engine->Handle(Get("/brokenish")).body, "counter"), "1");
  ASSERT_EQ(engine->FailedMounts().size(), 1u);
  EXPECT_EQ(engine->FailedMounts()[0].mountpoint, "/broken");
  for (const MountInfo& m : engine->Mounts()) EXPECT_NE(m.mountpoint, "/broken");
  // Mounting again at the mountpoint replaces the failure once it loads.
  EXPECT_EQ(engine->Mount("/broken", App("broken_import.py")).code(),
            StatusCode::kPythonError);
  ASSERT_TRUE(engine->Mount("/broken", App("sink_app.py")).ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/broken/ping")).body, "pong");
  EXPECT_TRUE(engine->FailedMounts().empty());
  EXPECT_EQ(engine->Mount("/broken", App("sink_app.py")).code(),
            StatusCode::kAlreadyExists);
}

TEST(EngineFailedMount, AFailedRootMountAnswers503Too) {
  LogCapture log;
  auto engine = MakeEngine(log);
  EXPECT_FALSE(engine->Mount("", App("broken_import.py")).ok());
  Response r = engine->Handle(Get("/anything"));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("mount '/'"), std::string::npos) << r.body;
}

// Handle checks the request as the HTTP front end would, before any app.
TEST(EngineRequestCheck, MalformedRequestsGet400WithoutCallingTheApp) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
  std::vector<Request> bad;
  bad.push_back(Get("/"));
  bad.back().method = "";
  bad.push_back(Get("/"));
  bad.back().method = "GE T";
  bad.push_back(Get("/"));
  bad.back().method = "GET\r\n";
  bad.push_back(Get("/"));
  bad.back().headers.emplace_back("X-Evil\r\nInjected", "1");
  bad.push_back(Get("/"));
  bad.back().headers.emplace_back("", "1");
  bad.push_back(Get("/"));
  bad.back().headers.emplace_back("X Space", "1");
  bad.push_back(Get("/"));
  bad.back().headers.emplace_back("X-Value", "a\r\nSet-Cookie: x");
  bad.push_back(Get("/"));
  bad.back().headers.emplace_back("X-Value", std::string("a\0b", 3));
  bad.push_back(Get("/a\nb"));
  bad.push_back(Get("/", "q=\r"));
  for (const Request& r : bad) {
    Response resp = engine->Handle(r);
    EXPECT_EQ(resp.status, 400) << r.method;
    EXPECT_EQ(resp.result, RequestResult::kBadRequest);
    EXPECT_EQ(resp.body.rfind("400 Bad Request", 0), 0u) << resp.body;
  }
  // What HTTP allows passes: a tab in a value, an extension method, obs-text.
  Request fine = Get("/");
  fine.method = "PROPFIND";
  fine.headers.emplace_back("X-Tab", "a\tb \xe9");
  Response ok = engine->Handle(fine);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.result, RequestResult::kServed);
  // The app ran once: for the good request only.
  EXPECT_EQ(JsonField(ok.body, "counter"), "1") << ok.body;
}

TEST(EngineOutcome, TellsNoMountAppErrorAndClientGoneApart) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/app", App("sink_app.py")).ok());
  EXPECT_EQ(engine->Handle(Get("/elsewhere")).result, RequestResult::kNoMount);
  EXPECT_EQ(engine->Handle(Get("/elsewhere")).status, 404);
  EXPECT_EQ(engine->Handle(Get("/app/ping")).result, RequestResult::kServed);
  Response raised = engine->Handle(Get("/app/wrapper_bad_read"));
  EXPECT_EQ(raised.status, 500);
  EXPECT_EQ(raised.result, RequestResult::kAppError);
  struct GoneSink : ResponseSink {
    bool Start(int, std::string_view, Headers) override { return true; }
    bool Write(std::string_view) override { return false; }
    bool MayBlock() const override { return false; }
  } gone;
  RequestOutcome out = engine->Handle(Get("/app/chunks"), gone);
  EXPECT_EQ(out.result, RequestResult::kClientGone);
  EXPECT_FALSE(out.completed);
}

TEST(EngineStatus, MountErrorsCarryACode) {
  LogCapture log;
  auto engine = MakeEngine(log);
  EXPECT_EQ(engine->Mount("/a b", App("state.py")).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->Mount("/x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->Mount("/x", App("no_such_file.py")).code(),
            StatusCode::kPythonError);
  ASSERT_TRUE(engine->Mount("/y", App("state.py")).ok());
  EXPECT_EQ(engine->Mount("/y", App("state.py")).code(),
            StatusCode::kAlreadyExists);
  Status off_thread;
  std::thread([&] { off_thread = engine->Mount("/z", App("state.py")); })
      .join();
  EXPECT_EQ(off_thread.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeName(StatusCode::kNotFound), "not found");
}

// Every check Create can make is made before the runtime starts or the
// environment changes.
TEST(EngineCreate, RefusesBadOptionsBeforeTouchingTheProcess) {
  struct Case {
    const char* what;
    Options options;
    StatusCode code;
  };
  std::vector<Case> cases;
  cases.push_back({"python_executable", {}, StatusCode::kNotFound});
  cases.back().options.python_executable = "/no/such/python3";
  cases.push_back({"virtualenv", {}, StatusCode::kNotFound});
  cases.back().options.virtualenv = "/no/such/venv";
  cases.push_back({"chdir", {}, StatusCode::kNotFound});
  cases.back().options.chdir = "/no/such/dir";
  cases.push_back({"env", {}, StatusCode::kInvalidArgument});
  cases.back().options.env = {{"A=B", "1"}};
  cases.push_back({"default_callable", {}, StatusCode::kInvalidArgument});
  cases.back().options.default_callable = "";
  if (!OwnGilSupported()) {
    cases.push_back({"own_gil", {}, StatusCode::kInvalidArgument});
    cases.back().options.own_gil = true;
  }
  for (Case& c : cases) {
    c.options.env.emplace_back("SUBHOST_CREATE_PROBE", c.what);
    std::unique_ptr<Engine> engine;
    Status s = Engine::Create(c.options, &engine);
    EXPECT_EQ(s.code(), c.code) << c.what << ": " << s.message();
    EXPECT_EQ(engine, nullptr);
    EXPECT_EQ(std::getenv("SUBHOST_CREATE_PROBE"), nullptr) << c.what;
    EXPECT_THROW(Engine::Create(c.options), std::runtime_error) << c.what;
  }
}

TEST(EngineCreate, ASecondEngineMustAgreeWithTheRunningRuntime) {
  LogCapture log;
  auto first = MakeEngine(log);
  ASSERT_TRUE(first->Mount("/m", App("state.py"), {true}).ok()) << log.All();
  Options other;
  other.python_executable = "/bin/sh";  // exists, but is not the runtime's
  other.log = log.Sink();
  std::unique_ptr<Engine> refused;
  Status s = Engine::Create(other, &refused);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.message();
  // Naming the runtime's own executable is no difference.
  Options same;
  same.python_executable = SUBHOST_TEST_PYTHON;
  same.log = log.Sink();
  std::unique_ptr<Engine> agreeing;
  EXPECT_TRUE(Engine::Create(same, &agreeing).ok());
  // Main-interpreter settings: refused at a Mount there, fine in a
  // sub-interpreter.
  Options path;
  path.python_path = {"/tmp/subhost-elsewhere"};
  path.log = log.Sink();
  std::unique_ptr<Engine> second;
  ASSERT_TRUE(Engine::Create(path, &second).ok());
  Status main_mount = second->Mount("/m", App("state.py"), {true});
  EXPECT_EQ(main_mount.code(), StatusCode::kFailedPrecondition)
      << main_mount.message();
  ASSERT_TRUE(second->Mount("/s", App("state.py")).ok()) << log.All();
  EXPECT_EQ(second->Handle(Get("/s/")).status, 200);
}

// Live mounts: 8 threads hammer two mounts while the owner replaces one of
// them 100 times, mounts and unmounts a third: no request may fail.
void HammerWhileReplacing(const Options& options) {
  LogCapture log;
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/live", App("sink_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/steady", App("sink_app.py")).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const char* path = t % 2 ? "/live/ping" : "/steady/ping";
      while (!stop.load()) {
        Response r = engine->Handle(Get(path));
        if (r.status == 200 && r.body == "pong") {
          served.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
        if (t == 0) {  // also stream, through the blocking path
          BodySink sink(/*may_block=*/true);
          engine->Handle(Get("/live/chunks"), sink);
          if (sink.body == "onetwo") {
            served.fetch_add(1);
          } else {
            failed.fetch_add(1);
          }
        }
      }
    });
  }
  std::vector<long> interpreters;
  for (int i = 0; i < 100; ++i) {
    Status s = engine->Replace("/live", App("sink_app.py"));
    ASSERT_TRUE(s.ok()) << s.message();
    for (const MountInfo& m : engine->Mounts()) {
      if (m.mountpoint == "/live") interpreters.push_back(m.interpreter_id);
    }
    if (i % 10 == 0) {
      ASSERT_TRUE(engine->Mount("/extra", App("sink_app.py")).ok());
      ASSERT_TRUE(engine->Unmount("/extra").ok());
    }
  }
  // Keep the load on for a moment past the last switch.
  int at_end = served.load();
  ASSERT_TRUE(testing::WaitUntil([&] { return served.load() > at_end + 100; }));
  stop.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0) << log.All();
  EXPECT_GT(served.load(), 1000);
  ASSERT_EQ(interpreters.size(), 100u);
  std::sort(interpreters.begin(), interpreters.end());
  EXPECT_EQ(std::unique(interpreters.begin(), interpreters.end()),
            interpreters.end());  // a new interpreter every time
  EXPECT_EQ(engine->Handle(Get("/extra/ping")).status, 404);
  EXPECT_EQ(engine->Mounts().size(), 2u);
}

TEST(EngineLiveMounts, ReplacingAMount100TimesUnderLoadFailsNoRequest) {
  HammerWhileReplacing({});
}

TEST(EngineLiveMounts, ReplacingOwnGilMountsUnderLoadFailsNoRequest) {
  if (!OwnGilSupported()) GTEST_SKIP() << "no own GIL on " << PythonVersion();
  Options options;
  options.own_gil = true;
  HammerWhileReplacing(options);
}

TEST(EngineLiveMounts, AFailedReplaceKeepsTheOldAppServing) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("sink_app.py")).ok());
  long before = engine->Mounts()[0].interpreter_id;
  Status s = engine->Replace("/a", App("broken_import.py"));
  EXPECT_EQ(s.code(), StatusCode::kPythonError);
  EXPECT_EQ(engine->Handle(Get("/a/ping")).body, "pong");
  EXPECT_EQ(engine->Mounts()[0].interpreter_id, before);
  EXPECT_EQ(engine->Replace("/nothing", App("sink_app.py")).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(engine->Unmount("/nothing").code(), StatusCode::kNotFound);
  // A failed mount can be replaced, or unmounted to uncover the prefix.
  ASSERT_TRUE(engine->Mount("/", App("state.py")).ok());
  EXPECT_FALSE(engine->Mount("/b", App("broken_import.py")).ok());
  EXPECT_EQ(engine->Handle(Get("/b/x")).status, 503);
  ASSERT_TRUE(engine->Unmount("/b").ok());
  EXPECT_EQ(engine->Handle(Get("/b/x")).status, 200);
  EXPECT_FALSE(engine->Mount("/b", App("broken_import.py")).ok());
  ASSERT_TRUE(engine->Replace("/b", App("sink_app.py")).ok()) << log.All();
  EXPECT_EQ(engine->Handle(Get("/b/ping")).body, "pong");
}

TEST(EngineLiveMounts, AMountInTheMainInterpreterCanBeReplaced) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/m", App("state.py"), {true}).ok()) << log.All();
  EXPECT_EQ(JsonField(engine->Handle(Get("/m/")).body, "interpreter"), "0");
  ASSERT_TRUE(engine->Replace("/m", App("sink_app.py"), {true}).ok())
      << log.All();
  EXPECT_EQ(engine->Handle(Get("/m/ping")).body, "pong");
  ASSERT_TRUE(engine->Replace("/m", App("sink_app.py")).ok()) << log.All();
  EXPECT_NE(engine->Mounts()[0].interpreter_id, 0);
  EXPECT_EQ(engine->Handle(Get("/m/ping")).body, "pong");
}

// The owner thread replacing the very mount it is inside cannot wait for it:
// the old interpreter ends at the next change.
TEST(EngineLiveMounts, ASinkOnTheOwnerThreadCanReplaceItsOwnMount) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("sink_app.py")).ok());
  struct Sink : ResponseSink {
    explicit Sink(Engine& e) : engine(e) {}
    bool Start(int, std::string_view, Headers) override {
      replaced = engine.Replace("/a", App("sink_app.py"));
      return true;
    }
    bool Write(std::string_view c) override {
      body.append(c);
      return true;
    }
    Engine& engine;
    Status replaced;
    std::string body;
  } sink(*engine);
  engine->Handle(Get("/a/chunks"), sink);
  EXPECT_TRUE(sink.replaced.ok()) << sink.replaced.message();
  EXPECT_EQ(sink.body, "onetwo");
  EXPECT_EQ(engine->Handle(Get("/a/ping")).body, "pong");
  ASSERT_TRUE(engine->Mount("/b", App("sink_app.py")).ok());  // ends the old
  EXPECT_EQ(engine->Handle(Get("/a/ping")).body, "pong");
}

}  // namespace
}  // namespace subhost

// The engine's hand-off to a ResponseSink and a BodyReader: which lock is
// held while they run, WaitScope inside them, and what reaches the sink when
// the app misbehaves (more bytes than its Content-Length, odd file objects).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
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
using testing::MakeEngine;

// Runs a request for /ping on another thread and tells whether it was served
// within the deadline: it can only be while this thread does not hold the
// mount's GIL. The thread is joined later (Join), once the lock is free.
class Bystander {
 public:
  explicit Bystander(Engine& engine) : engine_(engine) {}
  ~Bystander() { Join(); }

  bool ServedMeanwhile() {
    std::promise<std::string> served;
    std::future<std::string> body = served.get_future();
    threads_.emplace_back([this, p = std::move(served)]() mutable {
      p.set_value(engine_.Handle(Get("/ping")).body);
    });
    return body.wait_for(std::chrono::seconds(20)) ==
               std::future_status::ready &&
           body.get() == "pong";
  }

  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  Engine& engine_;
  std::vector<std::thread> threads_;
};

// A sink that, at each call, optionally waits in a WaitScope and checks that
// another request can run meanwhile.
class CheckingSink : public ResponseSink {
 public:
  CheckingSink(Bystander& bystander, bool may_block, bool wait_scope)
      : bystander_(bystander), may_block_(may_block), wait_scope_(wait_scope) {}

  bool Start(int, std::string_view, Headers) override {
    Check("start");
    return true;
  }
  bool Write(std::string_view chunk) override {
    body.append(chunk);
    Check("write");
    return true;
  }
  void Finish(bool ok) override {
    finished_ok = ok;
    if (wait_scope_) WaitScope unlocked;
  }
  bool MayBlock() const override { return may_block_; }

  std::string body;
  std::vector<std::string> served;  // the calls during which another ran
  bool finished_ok = false;

 private:
  void Check(const char* call) {
    if (wait_scope_) {
      WaitScope unlocked;
      if (bystander_.ServedMeanwhile()) served.emplace_back(call);
    } else if (bystander_.ServedMeanwhile()) {
      served.emplace_back(call);
    }
  }

  Bystander& bystander_;
  bool may_block_;
  bool wait_scope_;
};

class EngineSink : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = MakeEngine(log_);
    ASSERT_TRUE(engine_->Mount("/", App("sink_app.py")).ok()) << log_.All();
  }
  LogCapture log_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineSink, ABlockingSinkRunsWithoutTheGilSoOtherRequestsProceed) {
  Bystander bystander(*engine_);
  CheckingSink sink(bystander, /*may_block=*/true, /*wait_scope=*/false);
  RequestOutcome out = engine_->Handle(Get("/chunks"), sink);
  bystander.Join();
  EXPECT_EQ(sink.body, "onetwo");
  EXPECT_TRUE(out.completed);
  EXPECT_TRUE(sink.finished_ok);
  std::vector<std::string> want = {"start", "write", "write"};
  EXPECT_EQ(sink.served, want) << log_.All();
}

TEST_F(EngineSink, AWaitScopeInsideABlockingSinkDoesNothingAndDoesNotCrash) {
  Bystander bystander(*engine_);
  CheckingSink sink(bystander, /*may_block=*/true, /*wait_scope=*/true);
  RequestOutcome out = engine_->Handle(Get("/chunks"), sink);
  bystander.Join();
  EXPECT_EQ(sink.body, "onetwo");
  EXPECT_TRUE(out.completed);
  EXPECT_FALSE(out.app_error) << log_.All();
  std::vector<std::string> want = {"start", "write", "write"};
  EXPECT_EQ(sink.served, want);
  // The engine is still usable on this thread afterwards.
  EXPECT_EQ(engine_->Handle(Get("/ping")).body, "pong");
}

TEST_F(EngineSink, AWaitScopeInsideANonBlockingSinkReleasesTheGil) {
  Bystander bystander(*engine_);
  CheckingSink sink(bystander, /*may_block=*/false, /*wait_scope=*/true);
  RequestOutcome out = engine_->Handle(Get("/chunks"), sink);
  bystander.Join();
  EXPECT_EQ(sink.body, "onetwo");
  EXPECT_TRUE(out.completed);
  std::vector<std::string> want = {"start", "write", "write"};
  EXPECT_EQ(sink.served, want);
}

// Hands out its body in pieces; at each read, optionally inside a WaitScope,
// checks that another request can run meanwhile.
class WaitingReader : public BodyReader {
 public:
  WaitingReader(Bystander& bystander, bool wait_scope)
      : bystander_(bystander), wait_scope_(wait_scope) {}

  std::ptrdiff_t Read(char* buffer, std::size_t size) override {
    bool served;
    if (wait_scope_) {
      WaitScope unlocked;
      served = bystander_.ServedMeanwhile();
    } else {
      served = bystander_.ServedMeanwhile();
    }
    if (served) ++reads_served;
    ++reads;
    if (next_ >= pieces_.size()) return 0;
    const std::string& piece = pieces_[next_++];
    size_t n = std::min(size, piece.size());
    piece.copy(buffer, n);
    return static_cast<std::ptrdiff_t>(n);
  }

  int reads = 0;
  int reads_served = 0;

 private:
  Bystander& bystander_;
  bool wait_scope_;
  std::vector<std::string> pieces_ = {"abc", "def"};
  size_t next_ = 0;
};

void ReadBodyWhileOthersRun(Engine& engine, bool wait_scope,
                            const LogCapture& log) {
  Bystander bystander(engine);
  auto reader = std::make_shared<WaitingReader>(bystander, wait_scope);
  Request r = Get("/echo");
  r.method = "POST";
  r.body_reader = reader;
  r.body_length = 6;
  Response resp = engine.Handle(r);
  bystander.Join();
  EXPECT_EQ(resp.status, 200) << log.All();
  EXPECT_EQ(resp.body, "abcdef");
  EXPECT_GE(reader->reads, 2);
  EXPECT_EQ(reader->reads_served, reader->reads);
}

TEST_F(EngineSink, AWaitingBodyReaderRunsWithoutTheGil) {
  ReadBodyWhileOthersRun(*engine_, /*wait_scope=*/false, log_);
}

TEST_F(EngineSink, AWaitScopeInsideABodyReaderDoesNothingAndDoesNotCrash) {
  ReadBodyWhileOthersRun(*engine_, /*wait_scope=*/true, log_);
  EXPECT_EQ(engine_->Handle(Get("/ping")).body, "pong");
}

TEST(EngineSinkOwnGil, WaitScopesInSinksAndReadersWorkWithAnOwnGil) {
  if (!OwnGilSupported()) GTEST_SKIP() << "no own GIL on " << PythonVersion();
  LogCapture log;
  Options options;
  options.own_gil = true;
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/", App("sink_app.py")).ok()) << log.All();
  for (bool may_block : {true, false}) {
    Bystander bystander(*engine);
    CheckingSink sink(bystander, may_block, /*wait_scope=*/true);
    RequestOutcome out = engine->Handle(Get("/chunks"), sink);
    bystander.Join();
    EXPECT_EQ(sink.body, "onetwo");
    EXPECT_TRUE(out.completed);
    std::vector<std::string> want = {"start", "write", "write"};
    EXPECT_EQ(sink.served, want) << "may_block=" << may_block;
  }
  ReadBodyWhileOthersRun(*engine, /*wait_scope=*/true, log);
}

TEST_F(EngineSink, BytesPastTheDeclaredContentLengthAreCutAndLogged) {
  Response r = engine_->Handle(Get("/overlong"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(log_.Contains("Content-Length")) << log_.All();
  EXPECT_EQ(engine_->Handle(Get("/overlong_write")).body, "abcd");
  Response file = engine_->Handle(Get("/overlong_file"));
  EXPECT_EQ(file.body, "\"\"\"Test");
}

TEST_F(EngineSink, TheOutcomeCountsOnlyTheBytesSent) {
  BodySink sink;
  RequestOutcome out = engine_->Handle(Get("/overlong"), sink);
  EXPECT_EQ(sink.body, "hello");
  EXPECT_EQ(out.body_bytes, 5u);
  EXPECT_TRUE(out.completed);
}

TEST_F(EngineSink, AFileWrapperReadWithoutLengthFailsWithItsOwnError) {
  Response r = engine_->Handle(Get("/wrapper_bad_read"));
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(log_.Contains("has no len()")) << log_.All();
  EXPECT_FALSE(log_.Contains("SystemError")) << log_.All();
}

TEST_F(EngineSink, AFileWrapperWithAnOutOfRangeTellOrFilenoIsStillSent) {
  RequestOutcome out;
  BodySink tell_sink, fileno_sink;
  out = engine_->Handle(Get("/wrapper_bad_tell"), tell_sink);
  EXPECT_FALSE(out.app_error) << log_.All();
  EXPECT_TRUE(out.completed);
  EXPECT_EQ(tell_sink.body.rfind("\"\"\"Test app", 0), 0u);
  out = engine_->Handle(Get("/wrapper_huge_fileno"), fileno_sink);
  EXPECT_FALSE(out.app_error) << log_.All();
  EXPECT_EQ(fileno_sink.body, "from memory");
  EXPECT_FALSE(log_.Contains("SystemError")) << log_.All();
}

}  // namespace
}  // namespace subhost

// The WSGI bridge against PEP 3333, through Engine::Handle and real CPython.
#include <gtest/gtest.h>

#include <string>

#include "subhost/engine.h"
#include "tests/engine/test_support.h"

namespace subhost {
namespace {

using testing::App;
using testing::Get;
using testing::JsonField;
using testing::LogCapture;
using testing::MakeEngine;
using testing::Post;

class Wsgi : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = MakeEngine(log_);
    ASSERT_TRUE(engine_->Mount("/", App("pep3333.py")).ok()) << log_.All();
    ASSERT_TRUE(engine_->Mount("/v", App("pep3333.py:validated")).ok())
        << log_.All();
  }
  LogCapture log_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(Wsgi, EnvironHasEveryRequiredKeyWithPep3333Values) {
  Request r = Get("/v/environ_view/a%2Fb", "x=1&y=%41");
  r.headers = {{"Host", "example.test:8080"},
               {"Content-Type", "text/plain"},
               {"X-Multi", "one"},
               {"x-multi", "two"},
               {"X_Spoofed", "nope"},
               {"Cookie", "a=1"},
               {"Cookie", "b=2"}};
  r.remote_addr = "10.1.2.3";
  r.remote_port = 5555;
  r.server_name = "srv";
  r.server_port = 8080;
  Response resp = engine_->Handle(r);
  ASSERT_EQ(resp.status, 200) << log_.All();
  const std::string& b = resp.body;
  EXPECT_EQ(JsonField(b, "REQUEST_METHOD"), "\"GET\"");
  EXPECT_EQ(JsonField(b, "SCRIPT_NAME"), "\"/v\"");
  EXPECT_EQ(JsonField(b, "PATH_INFO"), "\"/environ_view/a/b\"");
  EXPECT_EQ(JsonField(b, "QUERY_STRING"), "\"x=1&y=%41\"");
  EXPECT_EQ(JsonField(b, "REQUEST_URI"), "\"/v/environ_view/a%2Fb?x=1&y=%41\"");
  EXPECT_EQ(JsonField(b, "CONTENT_TYPE"), "\"text/plain\"");
  EXPECT_EQ(JsonField(b, "SERVER_NAME"), "\"srv\"");
  EXPECT_EQ(JsonField(b, "SERVER_PORT"), "\"8080\"");
  EXPECT_EQ(JsonField(b, "SERVER_PROTOCOL"), "\"HTTP/1.1\"");
  EXPECT_EQ(JsonField(b, "REMOTE_ADDR"), "\"10.1.2.3\"");
  EXPECT_EQ(JsonField(b, "REMOTE_PORT"), "\"5555\"");
  EXPECT_EQ(JsonField(b, "HTTP_HOST"), "\"example.test:8080\"");
  EXPECT_EQ(JsonField(b, "HTTP_X_MULTI"), "\"one, two\"");
  EXPECT_EQ(JsonField(b, "HTTP_COOKIE"), "\"a=1; b=2\"");
  EXPECT_EQ(b.find("SPOOFED"), std::string::npos);
  EXPECT_EQ(b.find("HTTP_CONTENT_TYPE"), std::string::npos);
  EXPECT_EQ(JsonField(b, "wsgi.version"), "[1, 0]");
  EXPECT_EQ(JsonField(b, "wsgi.url_scheme"), "\"http\"");
  EXPECT_EQ(JsonField(b, "wsgi.multithread"), "true");
  EXPECT_EQ(JsonField(b, "wsgi.input_terminated"), "true");
  EXPECT_EQ(JsonField(b, "wsgi.run_once"), "\"bool\"");
  EXPECT_EQ(JsonField(b, "wsgi.file_wrapper"), "\"type\"");
}

TEST_F(Wsgi, InputReadsEveryWayAndNeverPastTheBody) {
  const std::string body = "ab\ncdef\n\nxyz";
  struct Case {
    const char* mode;
    const char* parts;
  } cases[] = {
      {"read", "[\"ab\\ncdef\\n\\nxyz\"]"},
      {"read3", "[\"ab\\n\", \"cde\", \"f\\n\\n\", \"xyz\"]"},
      {"readline", "[\"ab\\n\", \"cdef\\n\", \"\\n\", \"xyz\"]"},
      {"readline2", "[\"ab\", \"\\n\", \"cdef\\n\"]"},
      {"readlines", "[\"ab\\n\", \"cdef\\n\", \"\\n\", \"xyz\"]"},
      {"iter", "[\"ab\\n\", \"cdef\\n\", \"\\n\", \"xyz\"]"},
  };
  for (const Case& c : cases) {
    Response r = engine_->Handle(Post("/input_modes", body, c.mode));
    ASSERT_EQ(r.status, 200) << c.mode << log_.All();
    EXPECT_EQ(JsonField(r.body, "parts"), c.parts) << c.mode;
    if (std::string(c.mode) != "readline2") {
      EXPECT_EQ(JsonField(r.body, "after"), "\"\"") << c.mode;
    }
  }
}

// A body that arrives in small pieces, as from a socket.
class TrickleReader : public BodyReader {
 public:
  explicit TrickleReader(std::string data) : data_(std::move(data)) {}
  std::ptrdiff_t Read(char* buf, std::size_t size) override {
    size_t n = std::min<size_t>({size, 2, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, buf);
    pos_ += n;
    return static_cast<std::ptrdiff_t>(n);
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

TEST_F(Wsgi, InputFromAStreamingReaderMatchesInMemory) {
  for (const char* mode : {"read", "read3", "readline", "readlines", "iter"}) {
    Request req = Post("/input_modes", "", mode);
    req.body_reader = std::make_shared<TrickleReader>("ab\ncdef\n\nxyz");
    req.body_length = 12;
    Response streamed = engine_->Handle(req);
    Response memory = engine_->Handle(Post("/input_modes", "ab\ncdef\n\nxyz", mode));
    ASSERT_EQ(streamed.status, 200) << log_.All();
    EXPECT_EQ(streamed.body, memory.body) << mode;
  }
}

TEST_F(Wsgi, ValidatorAcceptsTheCleanHandlers) {
  for (const char* path : {"/v/environ_view", "/v/generator", "/v/write_app",
                           "/v/close_ok", "/v/ctx", "/v/exc_before",
                           "/v/file_wrapper", "/v/errors"}) {
    Response r = engine_->Handle(Get(path));
    EXPECT_NE(r.status, 500) << path << "\n" << log_.All();
  }
  Response post = engine_->Handle(Post("/v/input_modes", "line\nrest", "read3"));
  EXPECT_EQ(post.status, 200) << log_.All();
  EXPECT_FALSE(log_.Contains("Error")) << log_.All();
}

TEST_F(Wsgi, ExcInfoBeforeHeadersReplacesTheResponse) {
  Response r = engine_->Handle(Get("/exc_before"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.reason, "Handled");
  EXPECT_EQ(r.body, "handled");
}

TEST_F(Wsgi, ExcInfoAfterHeadersReraisesAndCutsTheResponse) {
  testing::LogCapture& log = log_;
  class Sink : public ResponseSink {
   public:
    bool Start(int s, std::string_view, Headers) override {
      status = s;
      return true;
    }
    bool Write(std::string_view c) override {
      body.append(c);
      return true;
    }
    void Finish(bool ok) override { finished_ok = ok; }
    int status = 0;
    std::string body;
    bool finished_ok = true;
  } sink;
  RequestOutcome out = engine_->Handle(Get("/exc_after"), sink);
  EXPECT_EQ(sink.status, 200);
  EXPECT_EQ(sink.body, "partial");
  EXPECT_FALSE(sink.finished_ok);
  EXPECT_FALSE(out.completed);
  EXPECT_TRUE(out.app_error);
  EXPECT_TRUE(log.Contains("ZeroDivisionError")) << log.All();
}

TEST_F(Wsgi, CloseIsCalledExactlyOnceOnSuccessAndOnErrors) {
  EXPECT_EQ(engine_->Handle(Get("/close_ok")).body, "ab");
  Response failed = engine_->Handle(Get("/close_fail"));
  EXPECT_EQ(failed.status, 200);  // headers went out with the first chunk
  Response before = engine_->Handle(Get("/close_before_headers"));
  EXPECT_EQ(before.status, 500);
  EXPECT_TRUE(log_.Contains("RuntimeError: boom mid-body")) << log_.All();
  Response count = engine_->Handle(Get("/close_count"));
  EXPECT_EQ(JsonField(count.body, "count"), "3");
}

TEST_F(Wsgi, ContextVarsDoNotLeakBetweenRequests) {
  for (int i = 0; i < 3; ++i) {
    Response r = engine_->Handle(Get("/ctx/" + std::to_string(i)));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(JsonField(r.body, "seen"), "null") << i;
  }
}

TEST_F(Wsgi, WriteCallableStreamsBeforeTheIterable) {
  Response r = engine_->Handle(Get("/write_app"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "one two three");
}

TEST_F(Wsgi, AppErrorsGive500AndATracebackInTheLog) {
  struct Case {
    const char* path;
    const char* logged;
  } cases[] = {
      {"/raises", "ValueError: app exploded"},
      {"/not_bytes", "body items must be bytes"},
      {"/bad_status", "status must look like '200 OK'"},
      {"/crlf_header", "control character"},
      {"/non_latin1", "latin-1"},
      {"/no_start", "before start_response"},
  };
  for (const Case& c : cases) {
    Response r = engine_->Handle(Get(c.path));
    EXPECT_EQ(r.status, 500) << c.path;
    EXPECT_EQ(r.body, "500 Internal Server Error\n");
    EXPECT_TRUE(log_.Contains(c.logged)) << c.path << "\n" << log_.All();
  }
  EXPECT_TRUE(log_.Contains("Traceback (most recent call last)"));
  EXPECT_TRUE(log_.Contains("pep3333.py\", line")) << log_.All();
  // The mount keeps serving after its app failed.
  EXPECT_EQ(engine_->Handle(Get("/write_app")).status, 200);
}

TEST_F(Wsgi, Latin1HeaderValuesPassThrough) {
  Response r = engine_->Handle(Get("/latin1_header"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Name"), "J\xf6rg");
}

TEST_F(Wsgi, FileWrapperUsesSendFileFromTheFilePosition) {
  class Sink : public ResponseSink {
   public:
    bool Start(int, std::string_view, Headers) override { return true; }
    bool Write(std::string_view c) override {
      body.append(c);
      return true;
    }
    bool SendFile(int fd, std::uint64_t offset, std::uint64_t count) override {
      sendfile_offset = offset;
      return ResponseSink::SendFile(fd, offset, count);
    }
    std::string body;
    std::uint64_t sendfile_offset = ~0ull;
  } sink;
  engine_->Handle(Get("/file_wrapper"), sink);
  EXPECT_EQ(sink.sendfile_offset, 10u);
  ASSERT_GT(sink.body.size(), 100u);
  // The app read 10 bytes first: the body is the file from there on.
  // The app read 10 bytes ('"""Test ap') first: the body starts there.
  EXPECT_EQ(sink.body.substr(0, 12), "p: one handl");
  EXPECT_NE(sink.body.find("def validated(environ"), std::string::npos);
}

TEST_F(Wsgi, ErrorsStreamWritesWholeLinesToTheLog) {
  engine_->Handle(Get("/errors"));
  EXPECT_TRUE(log_.Contains("[mount ''] line one")) << log_.All();
  EXPECT_TRUE(log_.Contains("[mount ''] partial line two")) << log_.All();
}

}  // namespace
}  // namespace subhost

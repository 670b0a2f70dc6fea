// Own-GIL sub-interpreters (CPython 3.13+) through the subhost command: apps
// that import C extensions of the standard library serve, and the server
// stops with status 0 under SIGINT and SIGTERM. On CPython 3.13.0, two own-GIL
// interpreters that imported _datetime freed each other's memory at exit
// (python/cpython#136423) until subhost imported it in the main one first.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}

// Starts the server with --own-gil and args; false (with *skip set) when this
// CPython has no own-GIL sub-interpreters.
bool StartOwnGil(ServerProcess& server, std::vector<std::string> args,
                 bool* skip) {
  args.insert(args.begin(), {"--http-socket", "127.0.0.1:0", "--own-gil",
                             "--threads", "2"});
  bool started = server.Start(args);
  *skip = server.LogContains("needs CPython 3.13");
  return started;
}

std::string Url(const ServerProcess& server, const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(server.Port()) + path;
}

class OwnGilStop : public ::testing::TestWithParam<int> {};

TEST_P(OwnGilStop, TwoMountsImportingDatetimeServeAndExitZero) {
  ServerProcess server;
  bool skip = false;
  bool started = StartOwnGil(server,
                             {"--mount", "/=" + App("datetime_app.py"),
                              "--mount", "/b=" + App("datetime_app.py")},
                             &skip);
  if (skip) GTEST_SKIP() << "no own-GIL sub-interpreters on this CPython";
  ASSERT_TRUE(started) << server.Log();
  EXPECT_EQ(Shell("curl -s " + Url(server, "/")), "2024-02-29");
  EXPECT_EQ(Shell("curl -s " + Url(server, "/b/")), "2024-02-29");
  EXPECT_EQ(server.Stop(GetParam()), 0) << server.Log();
  EXPECT_TRUE(server.LogContains("subhost: bye")) << server.Log();
  EXPECT_FALSE(server.LogContains("invalid pointer")) << server.Log();
}

TEST_P(OwnGilStop, TwoFlaskMountsServeAndExitZero) {
  ServerProcess server;
  bool skip = false;
  std::string samples = SUBHOST_SAMPLES;
  bool started = StartOwnGil(
      server,
      {"--pythonpath", samples, "--pythonpath", "/usr/lib/python3/dist-packages",
       "--mount", "/one=flask_app.app:app", "--mount", "/two=flask_app.app:app"},
      &skip);
  if (skip) GTEST_SKIP() << "no own-GIL sub-interpreters on this CPython";
  if (server.LogContains("ModuleNotFoundError")) {
    GTEST_SKIP() << "Flask missing for this CPython";
  }
  ASSERT_TRUE(started) << server.Log();
  for (const char* mp : {"/one", "/two"}) {
    std::string page = Shell("curl -s '" + Url(server, mp) + "/?name=<i>x</i>'");
    EXPECT_NE(page.find("Hello, &lt;i&gt;x&lt;/i&gt;!"), std::string::npos)
        << mp << page;
    EXPECT_EQ(Shell("curl -s " + Url(server, mp) + "/json"),
              std::string("{\"app\":\"flask\",\"path\":\"/json\",\"script_name\":\"") +
                  mp + "\"}\n");
  }
  EXPECT_EQ(server.Stop(GetParam()), 0) << server.Log();
  EXPECT_TRUE(server.LogContains("subhost: bye")) << server.Log();
}

TEST_P(OwnGilStop, TwoMountsImportingMuchOfTheStdlibServeAndExitZero) {
  ServerProcess server;
  bool skip = false;
  bool started = StartOwnGil(server,
                             {"--mount", "/=" + App("stdlib_broad.py"),
                              "--mount", "/b=" + App("stdlib_broad.py")},
                             &skip);
  if (skip) GTEST_SKIP() << "no own-GIL sub-interpreters on this CPython";
  ASSERT_TRUE(started) << server.Log();
  for (const char* path : {"/", "/b/", "/", "/b/"}) {
    std::string body = Shell("curl -s " + Url(server, path));
    EXPECT_NE(body.find("2024-02-29T00:00:00+00:00\n3.30\n{\"n\": 42}\n"
                        "1 day, 0:00:05\nrefused: 0\n"),
              std::string::npos)
        << path << body;
  }
  EXPECT_EQ(server.Stop(GetParam()), 0) << server.Log();
  EXPECT_TRUE(server.LogContains("subhost: bye")) << server.Log();
}

INSTANTIATE_TEST_SUITE_P(Signals, OwnGilStop, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "Sigint"
                                                                   : "Sigterm");
                         });

TEST(OwnGil, LogSaysWhenACPythonWorkaroundIsActive) {
  ServerProcess server;
  bool skip = false;
  bool started = StartOwnGil(server, {"--mount", "/=" + App("datetime_app.py")},
                             &skip);
  if (skip) GTEST_SKIP() << "no own-GIL sub-interpreters on this CPython";
  ASSERT_TRUE(started) << server.Log();
  // The banner, the log's first line: "subhost 0.1.0 on CPython 3.13.0, pid 7".
  std::string banner = server.Log().substr(0, server.Log().find('\n'));
  size_t at = banner.find("on CPython ") + 11;
  std::string version = banner.substr(at, banner.find(',', at) - at);
  if (version.starts_with("3.13.")) {
    EXPECT_TRUE(server.LogContains("own-GIL workaround for CPython " + version +
                                   ": _datetime imported in the main "
                                   "interpreter first"))
        << server.Log();
  } else {
    EXPECT_FALSE(server.LogContains("own-GIL workaround")) << server.Log();
  }
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace subhost::testing

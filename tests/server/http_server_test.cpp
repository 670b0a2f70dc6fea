// The subhost command over real sockets: HTTP/1.1 semantics, bad input and
// limits, timeouts, signals. Each test starts the real binary on port 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}

std::string Body(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

class HttpServer : public ::testing::Test {
 protected:
  void Boot(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--http-socket", "127.0.0.1:0",
                                      "--mount", "/=" + App("server_app.py"),
                                      "--mount", "/pep=" + App("pep3333.py"),
                                      "--threads", "4",
                                      "--env", "SUBHOST_TEST_MARKERS=" + server_.dir()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(args)) << server_.Log();
    port_ = server_.Port();
  }
  std::string Get(const std::string& target, const std::string& extra = "") {
    Client c(port_);
    c.Send("GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" +
           extra + "\r\n");
    return c.ReadUntilClose();
  }
  ServerProcess server_;
  int port_ = 0;
};

TEST_F(HttpServer, ServesAndLogsAppsListenersAndRequests) {
  Boot();
  std::string r = Get("/hello");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_EQ(Body(r), "Hello from the server app\n");
  EXPECT_TRUE(server_.LogContains("WSGI app 0 (mountpoint='') ready in"));
  EXPECT_TRUE(server_.LogContains("WSGI app 1 (mountpoint='/pep') ready in"));
  EXPECT_TRUE(server_.LogContains("listening on http 127.0.0.1:" +
                                  std::to_string(port_)));
  EXPECT_TRUE(server_.WaitForLog("127.0.0.1 GET /hello => 200, "))
      << server_.Log();
  EXPECT_TRUE(server_.LogContains("(HTTP/1.1, mount '')"));
}

TEST_F(HttpServer, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  Boot();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /slow?ms=50 HTTP/1.1\r\nHost: t\r\n\r\n"
                     "GET /environ?x=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                     "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::string r = c.ReadResponses(3);
  ASSERT_EQ(Client::CountResponses(r), 3) << r;
  size_t a = r.find("slept"), b = r.find("QUERY_STRING=x=1"),
         d = r.find("Hello from the server app");
  EXPECT_LT(a, b);
  EXPECT_LT(b, d);
  EXPECT_FALSE(c.closed());
  // The same connection still serves.
  ASSERT_TRUE(c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(Client::CountResponses(c.ReadResponses(1)), 1);
}

TEST_F(HttpServer, Http10ClosesUnlessKeepAliveIsAsked) {
  Boot();
  Client c(port_);
  c.Send("GET /hello HTTP/1.0\r\n\r\n");
  std::string r = c.ReadUntilClose();
  EXPECT_EQ(r.rfind("HTTP/1.0 200 OK", 0), 0u) << r;
  EXPECT_TRUE(c.closed());
  Client k(port_);
  k.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  std::string kr = k.ReadResponses(1);
  EXPECT_NE(kr.find("Connection: keep-alive"), std::string::npos) << kr;
  k.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(Client::CountResponses(k.ReadResponses(1)), 1);
  // A 1.0 response without Content-Length ends at close.
  Client s(port_);
  s.Send("GET /stream?n=2 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(Body(s.ReadUntilClose()), "part0\npart1\n");
}

TEST_F(HttpServer, HeadSendsHeadersWithoutBody) {
  Boot();
  Client c(port_);
  c.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string r = c.ReadResponses(1);
  // The HEAD answer keeps the app's Content-Length but carries no body, so
  // the next response follows right after its head.
  EXPECT_NE(r.find("Content-Length: 26\r\n\r\nHTTP/1.1 200 OK"), std::string::npos)
      << r;
}

TEST_F(HttpServer, StreamsChunkedWhenTheAppGivesNoLength) {
  Boot();
  std::string r = Get("/stream?n=3");
  EXPECT_NE(r.find("Transfer-Encoding: chunked"), std::string::npos) << r;
  EXPECT_EQ(Body(r), "6\r\npart0\n\r\n6\r\npart1\n\r\n6\r\npart2\n\r\n0\r\n\r\n");
  std::string empty = Get("/empty");
  EXPECT_EQ(empty.rfind("HTTP/1.1 204 No Content", 0), 0u);
  EXPECT_EQ(empty.find("Transfer-Encoding"), std::string::npos);
}

TEST_F(HttpServer, ChunkedRequestBodiesAreDecodedAndExpectContinueAnswered) {
  Boot();
  Client c(port_);
  c.Send("POST /echo_body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(Body(c.ReadResponses(1)), "hello world");
  Client e(port_);
  e.Send("POST /echo_body HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
         "Expect: 100-continue\r\n\r\n");
  std::string interim = e.ReadUntil("\r\n\r\n");
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  e.Send("data");
  EXPECT_NE(e.ReadResponses(1).find("\r\n\r\ndata"), std::string::npos);
}

TEST_F(HttpServer, MalformedAndSmugglingShapesGet400AndClose) {
  Boot();
  const char* bad[] = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nHost t\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
  };
  for (const char* req : bad) {
    Client c(port_);
    c.Send(req);
    std::string r = c.ReadUntilClose();
    EXPECT_EQ(r.rfind("HTTP/1.1 400 Bad Request", 0), 0u) << req << "\n" << r;
    EXPECT_TRUE(c.closed()) << req;
  }
  EXPECT_TRUE(server_.LogContains("bad request from 127.0.0.1"));
  EXPECT_EQ(Body(Get("/hello")), "Hello from the server app\n");
}

TEST_F(HttpServer, LimitsGive431And413) {
  Boot({"--buffer-size", "1024", "--limit-post", "1000"});
  std::string big_header(2000, 'a');
  std::string r = Get("/hello", "X-Big: " + big_header + "\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 431", 0), 0u) << r;
  Client c(port_);
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_EQ(c.ReadUntilClose().rfind("HTTP/1.1 413", 0), 0u);
  Client small(port_);
  small.Send("POST /echo_body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(Body(small.ReadResponses(1)), "abc");
}

TEST_F(HttpServer, StalledClientsAreCutOffWithoutHoldingAThread) {
  Boot({"--socket-timeout", "1", "--threads", "1"});
  Client slow(port_);
  slow.Send("GET /hello HTTP/1.1\r\nHost: t\r\n");  // never finishes
  // With the only thread free, others are served meanwhile.
  EXPECT_EQ(Body(Get("/hello")), "Hello from the server app\n");
  auto start = Clock::now();
  std::string r = slow.ReadUntilClose(10);
  double waited = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_TRUE(slow.closed());
  EXPECT_EQ(r.rfind("HTTP/1.1 408", 0), 0u) << r;
  EXPECT_LT(waited, 5.0);
  EXPECT_TRUE(server_.WaitForLog("timed out after 1 s reading the request head"));
}

TEST_F(HttpServer, ClientGoneMidResponseStillClosesTheAppIterable) {
  Boot();
  {
    Client c(port_);
    c.Send("GET /tracked?name=gone&chunks=400&delay=0.005 HTTP/1.1\r\nHost: t\r\n\r\n");
    c.ReadUntil("HTTP/1.1 200 OK");
  }  // disconnects mid-body
  std::string marker = server_.dir() + "/gone";
  EXPECT_TRUE(WaitFor([&] { return ReadFile(marker) == "closed"; }, 20))
      << server_.Log();
  EXPECT_TRUE(server_.WaitForLog("[cut short]"));
  EXPECT_EQ(Body(Get("/hello")), "Hello from the server app\n");
}

TEST_F(HttpServer, NoMountIs404AndAppErrorIs500WithTraceback) {
  std::vector<std::string> args = {"--http-socket", "127.0.0.1:0", "--mount",
                                   "/only=" + App("server_app.py")};
  ASSERT_TRUE(server_.Start(args)) << server_.Log();
  port_ = server_.Port();
  EXPECT_EQ(Get("/elsewhere").rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(Get("/only/error").rfind("HTTP/1.1 500", 0), 0u);
  EXPECT_TRUE(server_.WaitForLog("RuntimeError: server test app failure"));
  EXPECT_TRUE(server_.LogContains("Traceback (most recent call last)"));
}

TEST_F(HttpServer, LargeUploadsSpoolToDiskAndReadBackExactly) {
  Boot({"--post-buffering", "65536"});
  std::string body(8 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 + 7);
  std::string file = server_.dir() + "/upload.bin";
  {
    std::ofstream f(file, std::ios::binary);
    f << body;
  }
  int status = 0;
  std::string expect = Shell("sha256sum " + file + " | cut -d' ' -f1", &status);
  expect.pop_back();
  std::string out = Shell("curl -s --data-binary @" + file + " http://127.0.0.1:" +
                            std::to_string(port_) + "/echo", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, std::to_string(body.size()) + " " + expect);
  // Chunked upload of the same file.
  out = Shell("curl -s -H 'Transfer-Encoding: chunked' --data-binary @" + file +
            " http://127.0.0.1:" + std::to_string(port_) + "/echo", &status);
  EXPECT_EQ(out, std::to_string(body.size()) + " " + expect);
}

TEST_F(HttpServer, FileWrapperGoesOutWithSendfile) {
  Boot();
  std::string r = Get("/file");
  EXPECT_EQ(Body(r), ReadFile(App("server_app.py")));
}

TEST_F(HttpServer, SigtermFinishesTheRequestInFlightThenExitsZero) {
  Boot();
  Client c(port_);
  c.Send("GET /slow?ms=1500&mark=inflight HTTP/1.1\r\nHost: t\r\n\r\n");
  // Signal only once the request is inside the app.
  ASSERT_TRUE(WaitFor(
      [&] { return ReadFile(server_.dir() + "/inflight") == "started"; }, 10));
  int code = -1;
  std::thread stopper([&] { code = server_.Stop(SIGTERM, 30); });
  std::string r = c.ReadUntilClose(20);
  stopper.join();
  EXPECT_EQ(Body(r), "slept\n") << r;
  EXPECT_EQ(code, 0) << server_.Log();
  EXPECT_TRUE(server_.LogContains("finishing requests in flight"));
}

TEST_F(HttpServer, UnixSocketsWithModeAndVacuum) {
  std::string sock = server_.dir() + "/app.sock";
  ASSERT_TRUE(server_.Start({"--http-socket", sock, "--chmod-socket=660",
                             "--vacuum", "--mount", "/=" + App("server_app.py")}))
      << server_.Log();
  struct stat st;
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  Client c(sock);
  ASSERT_TRUE(c.connected());
  c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Body(c.ReadUntilClose()), "Hello from the server app\n");
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
  EXPECT_NE(::access(sock.c_str(), F_OK), 0) << "--vacuum left the socket";
}

TEST_F(HttpServer, ListensOnIpv6Loopback) {
  ASSERT_TRUE(server_.Start({"--http-socket", "[::1]:0", "--mount",
                             "/=" + App("server_app.py")}))
      << server_.Log();
  Client c(server_.Port(), "::1");
  ASSERT_TRUE(c.connected());
  c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Body(c.ReadUntilClose()), "Hello from the server app\n");
}

TEST_F(HttpServer, RealClientsCurlAndPythonHttpClient) {
  Boot();
  std::string url = "http://127.0.0.1:" + std::to_string(port_);
  int status = 0;
  EXPECT_EQ(Shell("curl -sf " + url + "/hello", &status),
            "Hello from the server app\n");
  EXPECT_EQ(Shell("curl -sf -d 'a=1&b=2' " + url + "/echo_body", &status), "a=1&b=2");
  std::string py =
      "/usr/bin/python3.11 -c \"import http.client as h\n"
      "c = h.HTTPConnection('127.0.0.1', " + std::to_string(port_) + ")\n"
      "for p in ('/hello', '/stream?n=2', '/pep/environ_view'):\n"
      "    c.request('GET', p); r = c.getresponse(); b = r.read()\n"
      "    print(r.status, len(b))\n"
      "c.request('POST', '/echo_body', body=b'xyz'); print(c.getresponse().read().decode())\"";
  std::string out = Shell(py, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("200 26\n200 12\n200 "), std::string::npos) << out;
  EXPECT_NE(out.find("xyz"), std::string::npos) << out;
}

namespace subhost::testing {
namespace {

std::string Binary() { return SUBHOST_BINARY; }

TEST(Command, UnknownFlagOrBadValueIsOneLineErrorAndExit2) {
  int status = 0;
  std::string out = Shell(Binary() + " --http-socket :0 --mount /=x.py --bogus 2>&1", &status);
  EXPECT_EQ(status, 2);
  EXPECT_EQ(out, "subhost: unknown option '--bogus' (see --help)\n");
  out = Shell(Binary() + " --http-socket :0 --mount /=x.py --threads abc 2>&1", &status);
  EXPECT_EQ(status, 2);
  EXPECT_NE(out.find("--threads"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(Command, HelpListsTheFlagsUsersKnow) {
  int status = 0;
  std::string out = Shell(Binary() + " --help", &status);
  EXPECT_EQ(status, 0);
  for (const char* flag : {"--http-socket", "--socket", "--mount", "--wsgi-file",
                           "--module", "--callable", "--threads", "--processes",
                           "--single-interpreter", "--chdir", "--pythonpath",
                           "--env", "--listen", "--buffer-size", "--need-app",
                           "--disable-logging", "--http", "--bind", "--ini",
                           "--limit-post", "--post-buffering", "--socket-timeout",
                           "--chmod-socket", "--vacuum", "--manage-script-name"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag;
  }
}

TEST(Command, ServesFromAUwsgiIniFileAndCanStayQuiet) {
  ServerProcess server;
  std::string ini = server.dir() + "/app.ini";
  {
    std::ofstream f(ini);
    f << "[uwsgi]\nhttp-socket = 127.0.0.1:0\nmaster = true\nplugins = python3\n"
      << "mount = /app=" << SUBHOST_TEST_APPS << "/server_app.py\n"
      << "disable-logging = true\nthreads = 2\n";
  }
  ASSERT_TRUE(server.Start({"--ini", ini})) << server.Log();
  Client c(server.Port());
  c.Send("GET /app/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string r = c.ReadUntilClose();
  EXPECT_NE(r.find("Hello from the server app"), std::string::npos) << r;
  EXPECT_EQ(server.Stop(SIGINT), 0);
  EXPECT_FALSE(server.LogContains("GET /app/hello =>")) << server.Log();
}

TEST(Command, NeedAppExitsWhenAMountFailsToLoad) {
  ServerProcess server;
  EXPECT_FALSE(server.Start({"--http-socket", "127.0.0.1:0", "--need-app",
                             "--mount", "/=" + std::string(SUBHOST_TEST_APPS) +
                                            "/broken_import.py"},
                            1, 30));
  EXPECT_TRUE(server.LogContains("ZeroDivisionError")) << server.Log();
  EXPECT_TRUE(server.LogContains("broken_import.py"));
}

// Without --need-app the server starts with the mounts that loaded; the
// failed one answers 503 naming itself, and the root app never answers for
// it. The failure is logged once, not at every request.
TEST(Command, AMountThatFailedToLoadAnswers503NotTheRootApp) {
  ServerProcess server;
  std::string apps = SUBHOST_TEST_APPS;
  ASSERT_TRUE(server.Start({"--http-socket", "127.0.0.1:0",
                            "--mount", "/=" + apps + "/server_app.py",
                            "--mount", "/broken=" + apps + "/broken_import.py"}))
      << server.Log();
  auto count = [](const std::string& log, const std::string& what) {
    int n = 0;
    for (size_t at = log.find(what); at != std::string::npos;
         at = log.find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  int at_load = count(server.Log(), "ZeroDivisionError");
  EXPECT_GT(at_load, 0) << server.Log();
  for (int i = 0; i < 3; ++i) {
    Client c(server.Port());
    c.Send("GET /broken/hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    std::string r = c.ReadUntilClose();
    EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
    EXPECT_NE(r.find("mount '/broken' failed to load"), std::string::npos) << r;
    EXPECT_EQ(r.find("Hello from the server app"), std::string::npos) << r;
  }
  Client root(server.Port());
  root.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_NE(root.ReadUntilClose().find("Hello from the server app"),
            std::string::npos);
  EXPECT_EQ(server.Stop(SIGINT), 0);
  EXPECT_EQ(count(server.Log(), "ZeroDivisionError"), at_load)
      << server.Log();
}

TEST(Command, FlaskAndDjangoAtPrefixesOverHttp) {
  ServerProcess server;
  std::string samples = SUBHOST_SAMPLES;
  bool started = server.Start({"--http-socket", "127.0.0.1:0", "--threads", "2",
                               "--pythonpath", samples,
                               "--pythonpath", samples + "/django_site",
                               "--mount", "/flask=flask_app.app:app",
                               "--mount", "/django=django_site.wsgi:application"});
  if (server.LogContains("ModuleNotFoundError")) {
    GTEST_SKIP() << "Flask or Django missing for this CPython";
  }
  ASSERT_TRUE(started) << server.Log();
  std::string url = "http://127.0.0.1:" + std::to_string(server.Port());
  EXPECT_EQ(Shell("curl -s " + url + "/flask/json"),
            "{\"app\":\"flask\",\"path\":\"/json\",\"script_name\":\"/flask\"}\n");
  std::string page = Shell("curl -s " + url + "/django/");
  EXPECT_NE(page.find("href=\"/django/json/\""), std::string::npos) << page;
}

}  // namespace
}  // namespace subhost::testing

// top -H and gdb show what each thread is for: the request threads by
// number, the housekeeper, the signal watcher (the kernel keeps 15 bytes).
TEST_F(HttpServer, ThreadsCarryTheirRoleInTheirOsName) {
  Boot({"--threads", "3"});
  std::string task = "/proc/" + std::to_string(server_.pid()) + "/task";
  auto names = [&] {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(task)) {
      std::ifstream comm(entry.path() / "comm");
      std::string name;
      std::getline(comm, name);
      out.push_back(name);
    }
    return out;
  };
  const std::vector<std::string> wanted = {"subhost-req-1", "subhost-req-2",
                                           "subhost-req-3", "subhost-houseke",
                                           "subhost-signals"};
  auto all_there = [&] {
    std::vector<std::string> have = names();
    for (const std::string& want : wanted) {
      if (std::find(have.begin(), have.end(), want) == have.end()) return false;
    }
    return true;
  };
  // The log says "listening" before the threads start: poll for them.
  EXPECT_TRUE(WaitFor(all_there, 10)) << ::testing::PrintToString(names());
}

// Each listener address form users write binds and serves: an IPv4 port
// on all interfaces, a unix path with and without "unix:".
TEST_F(HttpServer, EveryAddressFormBindsAndServes) {
  std::string plain = server_.dir() + "/plain.sock";
  std::string prefixed = server_.dir() + "/prefixed.sock";
  ASSERT_TRUE(server_.Start({"--http-socket", ":0", "--http-socket", plain,
                             "--http-socket", "unix:" + prefixed, "--mount",
                             "/=" + App("server_app.py")},
                            3))
      << server_.Log();
  Client tcp(server_.Port());
  ASSERT_TRUE(tcp.connected());
  tcp.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(Body(tcp.ReadUntilClose()), "Hello from the server app\n");
  for (const std::string& path : {plain, prefixed}) {
    Client c(path);
    ASSERT_TRUE(c.connected()) << path;
    c.Send("GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(Body(c.ReadUntilClose()), "Hello from the server app\n") << path;
  }
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
}

// An address nobody can bind is a one-line start-up error naming it.
TEST_F(HttpServer, UnbindableAddressIsAStartupErrorNamingIt) {
  EXPECT_FALSE(server_.Start({"--http-socket", "/nonexistent-dir/x.sock",
                              "--mount", "/=" + App("server_app.py")},
                             1, 10));
  EXPECT_TRUE(server_.WaitForLog("cannot bind /nonexistent-dir/x.sock"))
      << server_.Log();
}

}  // namespace
}  // namespace subhost::testing

// StatsServer on real sockets: a client connects, the test calls Serve()
// when poll() says the listener is readable, as the master does.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/stats/stats.h"
#include "tests/stats/stats_test_support.h"

namespace subhost::stats {
namespace {

using Clock = std::chrono::steady_clock;
using Mode = StatsServer::Mode;

// Connects to "127.0.0.1:PORT" or a unix path; -1 on failure.
int Connect(const std::string& name) {
  if (!name.empty() && name[0] == '/') {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun = {};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, name.c_str(), sizeof sun.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  std::size_t colon = name.rfind(':');
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port =
      htons(static_cast<std::uint16_t>(std::stoi(name.substr(colon + 1))));
  ::inet_pton(AF_INET, name.substr(0, colon).c_str(), &to.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void SendText(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(text.size()));
}

// Everything until the server closes; gives up after 5 s.
std::string ReadToEnd(int fd) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Serves once, from another thread, as soon as the listener is readable.
class Serving {
 public:
  Serving(StatsServer& server, std::function<std::string()> render)
      : thread_([&server, render] {
          pollfd p = {server.fd(), POLLIN, 0};
          if (::poll(&p, 1, 5000) == 1) server.Serve(render);
        }) {}
  ~Serving() { thread_.join(); }

 private:
  std::thread thread_;
};

std::string Body(const std::string& response) {
  std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Head(const std::string& response) {
  return response.substr(0, response.find("\r\n\r\n") + 4);
}

const char kDocument[] = "{\"version\":\"test\"}";

TEST(StatsServerTest, NameIsTheResolvedAddress) {
  StatsServer server("127.0.0.1:0", Mode::kRaw);
  EXPECT_GE(server.fd(), 0);
  EXPECT_EQ(server.name().rfind("127.0.0.1:", 0), 0u) << server.name();
  EXPECT_NE(server.name(), "127.0.0.1:0");
  EXPECT_EQ(server.mode(), Mode::kRaw);
}

TEST(StatsServerTest, RawModeSendsTheDocumentAndCloses) {
  StatsServer server("127.0.0.1:0", Mode::kRaw);
  Serving serving(server, [] { return std::string(kDocument); });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  EXPECT_EQ(ReadToEnd(client), kDocument);
  ::close(client);
}

TEST(StatsServerTest, RawModeServesTheRenderedStats) {
  process::Scoreboard board(2, 2, 1);
  board.worker(0).state =
      static_cast<std::uint32_t>(process::WorkerState::kAccepting);
  board.worker(0).requests = 9;
  StatsContext context;
  context.version = "0.1.0";
  context.mounts = {{"", "/srv"}};
  StatsServer server("127.0.0.1:0", Mode::kRaw);
  Serving serving(server, [&] { return RenderStatsJson(board, context); });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  testing::JsonFacts d = testing::JsonFacts::Parse(ReadToEnd(client));
  ::close(client);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.At("$.workers"), "list 1");
  EXPECT_EQ(d.At("$.workers[0].requests"), "int 9");
}

TEST(StatsServerTest, HttpModeAnswersWithJsonHeaders) {
  StatsServer server("127.0.0.1:0", Mode::kHttp);
  Serving serving(server, [] { return std::string(kDocument); });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  SendText(client, "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  std::string response = ReadToEnd(client);
  ::close(client);
  EXPECT_EQ(Head(response),
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
            "Content-Length: " +
                std::to_string(std::strlen(kDocument)) + "\r\n\r\n");
  EXPECT_EQ(Body(response), kDocument);
}

TEST(StatsServerTest, MetricsModeAnswersAnyPathWithPrometheusText) {
  process::Scoreboard board(1, 1, 1);
  board.worker(0).state =
      static_cast<std::uint32_t>(process::WorkerState::kAccepting);
  board.app(0, 0).requests = 4;
  StatsContext context;
  context.mounts = {{"/app", "/srv"}};
  StatsServer server("127.0.0.1:0", Mode::kMetrics);
  Serving serving(server, [&] { return RenderMetrics(board, context); });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  SendText(client, "GET /some/other/path?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  std::string response = ReadToEnd(client);
  ::close(client);
  std::string body = Body(response);
  EXPECT_EQ(Head(response),
            "HTTP/1.0 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: " +
                std::to_string(body.size()) + "\r\n\r\n");
  testing::Exposition e = testing::Exposition::Parse(body);
  EXPECT_TRUE(e.errors().empty()) << e.ErrorText();
  EXPECT_EQ(e.Value("subhost_requests_total{mount=/app}"), 4);
  EXPECT_EQ(e.Value("subhost_workers"), 1);
}

TEST(StatsServerTest, HeadRequestGetsHeadersOnly) {
  StatsServer server("127.0.0.1:0", Mode::kHttp);
  Serving serving(server, [] { return std::string(kDocument); });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  SendText(client, "HEAD / HTTP/1.0\r\n\r\n");
  std::string response = ReadToEnd(client);
  ::close(client);
  EXPECT_NE(response.find("Content-Length: " +
                          std::to_string(std::strlen(kDocument))),
            std::string::npos);
  EXPECT_EQ(Body(response), "");
}

// A client that connects and says nothing holds Serve() for about a second,
// not forever, and is still answered.
TEST(StatsServerTest, SilentHttpClientCannotHoldTheMaster) {
  StatsServer server("127.0.0.1:0", Mode::kHttp);
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  pollfd p = {server.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  auto start = Clock::now();
  server.Serve([] { return std::string(kDocument); });
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_LT(seconds, 1.6);
  EXPECT_GT(seconds, 0.5);  // it did wait for the request head
  EXPECT_EQ(Body(ReadToEnd(client)), kDocument);
  ::close(client);
}

// Every pending connection is answered by one Serve() call, each with a
// freshly rendered document.
TEST(StatsServerTest, OneServeAnswersEveryPendingConnection) {
  StatsServer server("127.0.0.1:0", Mode::kRaw);
  int clients[3];
  for (int& c : clients) {
    c = Connect(server.name());
    ASSERT_GE(c, 0);
  }
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (ReadListenQueue(server.fd(), 0).queue < 3 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(ReadListenQueue(server.fd(), 0).queue, 3u);
  int renders = 0;
  server.Serve([&] { return "doc" + std::to_string(++renders); });
  EXPECT_EQ(renders, 3);
  EXPECT_EQ(ReadListenQueue(server.fd(), 0).queue, 0u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ReadToEnd(clients[i]), "doc" + std::to_string(i + 1));
    ::close(clients[i]);
  }
}

TEST(StatsServerTest, ServeWithNothingPendingReturnsAtOnce) {
  StatsServer server("127.0.0.1:0", Mode::kHttp);
  bool rendered = false;
  auto start = Clock::now();
  server.Serve([&] {
    rendered = true;
    return std::string();
  });
  EXPECT_FALSE(rendered);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 0.1);
}

TEST(StatsServerTest, UnixSocketIsServedAndRemovedAfterwards) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/stats.sock";
  {
    StatsServer server(path, Mode::kRaw);
    EXPECT_EQ(server.name(), path);
    Serving serving(server, [] { return std::string(kDocument); });
    int client = Connect(path);
    ASSERT_GE(client, 0);
    EXPECT_EQ(ReadToEnd(client), kDocument);
    ::close(client);
  }
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  ::rmdir(dir.c_str());
}

TEST(StatsServerTest, BindFailureNamesTheAddress) {
  StatsServer first("127.0.0.1:0", Mode::kRaw);
  try {
    StatsServer second(first.name(), Mode::kRaw);
    ADD_FAILURE() << "bound " << first.name() << " twice";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(first.name()), std::string::npos)
        << e.what();
  }
  try {
    StatsServer bad("nonsense", Mode::kHttp);
    ADD_FAILURE() << "parsed 'nonsense'";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nonsense"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace subhost::stats

// StatsServer on real sockets: it serves on its own threads once started;
// the tests are its clients.
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
#include <algorithm>
#include <cstring>
#include <latch>
#include <memory>
#include <set>
#include <vector>
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

// Everything until the server closes; gives up after `seconds`.
std::string ReadToEnd(int fd, double seconds = 5) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(seconds));
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

std::string Body(const std::string& response) {
  std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string Head(const std::string& response) {
  return response.substr(0, response.find("\r\n\r\n") + 4);
}

const char kDocument[] = "{\"version\":\"test\"}";

std::string Fixed() { return kDocument; }

TEST(StatsServerTest, NameIsTheResolvedAddress) {
  StatsServer server("127.0.0.1:0", Mode::kRaw, Fixed);
  server.Start();
  EXPECT_GE(server.fd(), 0);
  EXPECT_EQ(server.name().rfind("127.0.0.1:", 0), 0u) << server.name();
  EXPECT_NE(server.name(), "127.0.0.1:0");
  EXPECT_EQ(server.mode(), Mode::kRaw);
}

TEST(StatsServerTest, RawModeSendsTheDocumentAndCloses) {
  StatsServer server("127.0.0.1:0", Mode::kRaw, Fixed);
  server.Start();
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
  StatsServer server("127.0.0.1:0", Mode::kRaw,
                     [&] { return RenderStatsJson(board, context); });
  server.Start();
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  testing::JsonFacts d = testing::JsonFacts::Parse(ReadToEnd(client));
  ::close(client);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.At("$.workers"), "list 1");
  EXPECT_EQ(d.At("$.workers[0].requests"), "int 9");
}

TEST(StatsServerTest, HttpModeAnswersWithJsonHeaders) {
  StatsServer server("127.0.0.1:0", Mode::kHttp, Fixed);
  server.Start();
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
  StatsServer server("127.0.0.1:0", Mode::kMetrics,
                     [&] { return RenderMetrics(board, context); });
  server.Start();
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
  StatsServer server("127.0.0.1:0", Mode::kHttp, Fixed);
  server.Start();
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

// Every connection is answered with a document rendered for it.
TEST(StatsServerTest, EveryConnectionGetsItsOwnRender) {
  std::atomic<int> renders{0};
  StatsServer server("127.0.0.1:0", Mode::kRaw,
                     [&] { return "doc" + std::to_string(++renders); });
  server.Start();
  std::multiset<std::string> documents;
  for (int i = 0; i < 3; ++i) {
    int client = Connect(server.name());
    ASSERT_GE(client, 0);
    documents.insert(ReadToEnd(client));
    ::close(client);
  }
  EXPECT_EQ(documents, (std::multiset<std::string>{"doc1", "doc2", "doc3"}));
  EXPECT_EQ(renders.load(), 3);
}

TEST(StatsServerTest, NothingIsRenderedWithoutAClient) {
  std::atomic<int> renders{0};
  {
    StatsServer server("127.0.0.1:0", Mode::kHttp, [&] {
      ++renders;
      return std::string();
    });
    server.Start();
  }
  EXPECT_EQ(renders.load(), 0);
}

struct Scrape {
  std::string response;
  double seconds = 0;
};

// One HTTP GET (or, raw, a bare connect) and everything until close.
Scrape ScrapeOnce(const std::string& name, Mode mode, double deadline = 10) {
  Scrape s;
  auto start = Clock::now();
  int client = Connect(name);
  if (client < 0) return s;
  if (mode != Mode::kRaw) {
    std::string get = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
    if (::send(client, get.data(), get.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(get.size())) {
      ::close(client);
      return s;
    }
  }
  s.response = ReadToEnd(client, deadline);
  ::close(client);
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return s;
}

// A complete answer: status 200 and as many body bytes as Content-Length.
bool IsCompleteHttp200(const std::string& response) {
  if (response.rfind("HTTP/1.0 200 OK\r\n", 0) != 0) return false;
  std::string head = Head(response);
  std::size_t at = head.find("Content-Length: ");
  if (at == std::string::npos) return false;
  return std::stoul(head.substr(at + 16)) == Body(response).size() &&
         !Body(response).empty();
}

std::uint64_t DeltaRequests(const std::string& json) {
  std::string key = "\"delta_requests\":";
  std::size_t at = json.find(key);
  return at == std::string::npos ? 0
                                 : std::stoull(json.substr(at + key.size()));
}

// 200 scrapers connect at once; every one gets a complete document well
// within its deadline, while the thread that owns the server (the master)
// keeps publishing without waiting on them.
class ConcurrentScrapers : public ::testing::TestWithParam<Mode> {};

TEST_P(ConcurrentScrapers, AllTwoHundredAreAnsweredWhileTheOwnerRunsOn) {
  constexpr int kScrapers = 200;
  process::Scoreboard board(4, 2, 2);
  board.worker(0).state =
      static_cast<std::uint32_t>(process::WorkerState::kAccepting);
  board.worker(0).requests = 100;
  board.app(0, 0).requests = 60;
  board.app(0, 1).requests = 40;
  board.app(0, 0).interpreter_id = 1;
  StatsSource source(board);
  StatsContext context;
  context.version = "test";
  context.mounts = {{"", "/srv"}, {"/b", "/srv"}};
  source.Publish(context);
  Mode mode = GetParam();
  StatsServer server("127.0.0.1:0", mode, [&source, mode] {
    return mode == Mode::kMetrics ? source.Metrics() : source.StatsJson();
  });
  server.Start();

  std::vector<Scrape> scrapes(kScrapers);
  std::latch go(kScrapers + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kScrapers; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      scrapes[static_cast<std::size_t>(i)] = ScrapeOnce(server.name(), mode);
    });
  }
  go.arrive_and_wait();
  // The owner's loop: publishing must never wait for a scrape.
  std::atomic<bool> done{false};
  std::thread joiner([&] {
    for (auto& t : threads) t.join();
    done = true;
  });
  double longest_publish = 0;
  int publishes = 0;
  while (!done) {
    auto start = Clock::now();
    source.Publish(context);
    longest_publish =
        std::max(longest_publish,
                 std::chrono::duration<double>(Clock::now() - start).count());
    ++publishes;
    std::this_thread::yield();
  }
  joiner.join();
  EXPECT_GT(publishes, 0);
  EXPECT_LT(longest_publish, 0.1);

  std::uint64_t delta_total = 0;
  double slowest = 0;
  for (const Scrape& s : scrapes) {
    slowest = std::max(slowest, s.seconds);
    std::string body = s.response;
    if (mode != Mode::kRaw) {
      ASSERT_TRUE(IsCompleteHttp200(s.response)) << s.response;
      body = Body(s.response);
    }
    if (mode == Mode::kMetrics) {
      testing::Exposition e = testing::Exposition::Parse(body);
      ASSERT_TRUE(e.errors().empty()) << e.ErrorText();
      EXPECT_EQ(e.Value("subhost_requests_total{mount=/b}"), 40);
    } else {
      ASSERT_FALSE(body.empty());
      EXPECT_EQ(body.front(), '{');
      EXPECT_EQ(body.back(), '}');
      delta_total += DeltaRequests(body);
    }
  }
  EXPECT_LT(slowest, 5.0);
  // Renders of the stats document take turns: the 100 requests are counted
  // as new exactly once across all 200 documents.
  if (mode != Mode::kMetrics) {
    EXPECT_EQ(delta_total, 100u);
    testing::JsonFacts d = testing::JsonFacts::Parse(
        mode == Mode::kRaw ? scrapes[0].response : Body(scrapes[0].response));
    ASSERT_TRUE(d.ok()) << d.error();
    EXPECT_EQ(d.At("$.workers[0].requests"), "int 100");
  }
}

INSTANTIATE_TEST_SUITE_P(StatsServerTest, ConcurrentScrapers,
                         ::testing::Values(Mode::kRaw, Mode::kHttp,
                                           Mode::kMetrics),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           switch (info.param) {
                             case Mode::kRaw:
                               return std::string("Raw");
                             case Mode::kHttp:
                               return std::string("Http");
                             case Mode::kMetrics:
                               return std::string("Metrics");
                           }
                           return std::string("Unknown");
                         });

// Clients that connect and send nothing hold a pool thread each until the
// timeout; while they do, the other threads answer scrapes at once.
TEST(StatsServerTest, SilentClientsDoNotHoldOtherScrapes) {
  StatsServer::Limits limits;
  // Three silent clients against eight threads. With four, one scrape in
  // about fifteen under ASan waited the whole timeout: a pool thread was
  // not back at the queue yet (open; see the stats notes).
  limits.max_threads = 8;
  limits.timeout = std::chrono::milliseconds(3000);
  StatsServer server("127.0.0.1:0", Mode::kHttp, Fixed, limits);
  server.Start();
  int silent[3];
  for (int& c : silent) {
    c = Connect(server.name());
    ASSERT_GE(c, 0);
  }
  for (int i = 0; i < 20; ++i) {
    Scrape s = ScrapeOnce(server.name(), Mode::kHttp);
    ASSERT_TRUE(IsCompleteHttp200(s.response)) << s.response;
    EXPECT_EQ(Body(s.response), kDocument);
    // Well under the timeout: it did not wait for a silent client to go.
    EXPECT_LT(s.seconds, 1.5);
  }
  for (int c : silent) ::close(c);
}

// A silent client is dropped once the timeout passes, without an answer.
TEST(StatsServerTest, SilentClientIsDroppedAfterTheTimeout) {
  StatsServer::Limits limits;
  limits.timeout = std::chrono::milliseconds(300);
  StatsServer server("127.0.0.1:0", Mode::kHttp, Fixed, limits);
  server.Start();
  auto start = Clock::now();
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  std::string got = ReadToEnd(client, 5);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(client);
  EXPECT_GT(seconds, 0.25);  // it was given the timeout to speak
  EXPECT_LT(seconds, 3.0);   // and no more
  EXPECT_EQ(got.find(kDocument), std::string::npos) << got;
}

// More silent clients than threads delay a scrape queued behind them, but
// only by the timeout per pool-full of them: each frees its thread when it
// is dropped, and the scrape is then answered.
TEST(StatsServerTest, SilentClientsFillingThePoolOnlyDelayAScrape) {
  StatsServer::Limits limits;
  limits.max_threads = 2;
  limits.timeout = std::chrono::milliseconds(400);
  StatsServer server("127.0.0.1:0", Mode::kMetrics, Fixed, limits);
  server.Start();
  int silent[4];
  for (int& c : silent) {
    c = Connect(server.name());
    ASSERT_GE(c, 0);
  }
  Scrape s = ScrapeOnce(server.name(), Mode::kMetrics);
  EXPECT_TRUE(IsCompleteHttp200(s.response)) << s.response;
  EXPECT_LT(s.seconds, 3.0);
  for (int c : silent) ::close(c);
}

TEST(StatsServerTest, UnixSocketIsServedAndRemovedAfterwards) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/stats.sock";
  {
    StatsServer server(path, Mode::kRaw, Fixed);
    server.Start();
    EXPECT_EQ(server.name(), path);
    int client = Connect(path);
    ASSERT_GE(client, 0);
    EXPECT_EQ(ReadToEnd(client), kDocument);
    ::close(client);
  }
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  ::rmdir(dir.c_str());
}

// Bound but not started: a client waits in the backlog and is answered
// once the server starts.
TEST(StatsServerTest, ConnectionsWaitInTheBacklogUntilStart) {
  std::atomic<int> renders{0};
  StatsServer server("127.0.0.1:0", Mode::kRaw, [&] {
    ++renders;
    return std::string(kDocument);
  });
  int client = Connect(server.name());
  ASSERT_GE(client, 0);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  while (ReadListenQueue(server.fd(), 0).queue < 1 && Clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(ReadListenQueue(server.fd(), 0).queue, 1u);
  EXPECT_EQ(renders.load(), 0);
  server.Start();
  EXPECT_EQ(ReadToEnd(client), kDocument);
  ::close(client);
}

TEST(StatsServerTest, HttpIsServedOnAUnixSocketToo) {
  std::string dir = testing::MakeTempDir();
  std::string path = dir + "/metrics.sock";
  {
    StatsServer server(path, Mode::kMetrics, Fixed);
    server.Start();
    int client = Connect(path);
    ASSERT_GE(client, 0);
    SendText(client, "GET /metrics HTTP/1.0\r\n\r\n");
    std::string response = ReadToEnd(client);
    ::close(client);
    EXPECT_EQ(response.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << response;
    EXPECT_EQ(Body(response), kDocument);
  }
  ::rmdir(dir.c_str());
}

TEST(StatsServerTest, Ipv6NameIsBracketed) {
  std::unique_ptr<StatsServer> server;
  try {
    server = std::make_unique<StatsServer>("[::1]:0", Mode::kRaw, Fixed);
    server->Start();
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  EXPECT_EQ(server->name().rfind("[::1]:", 0), 0u) << server->name();
  EXPECT_NE(server->name(), "[::1]:0");
}

TEST(StatsServerTest, BindFailureNamesTheAddress) {
  StatsServer first("127.0.0.1:0", Mode::kRaw, Fixed);
  try {
    StatsServer second(first.name(), Mode::kRaw, Fixed);
    ADD_FAILURE() << "bound " << first.name() << " twice";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(first.name()), std::string::npos)
        << e.what();
  }
  try {
    StatsServer bad("nonsense", Mode::kHttp, Fixed);
    ADD_FAILURE() << "parsed 'nonsense'";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("nonsense"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace subhost::stats

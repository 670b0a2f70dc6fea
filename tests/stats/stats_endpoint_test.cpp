// The stats and metrics endpoints of the real subhost command under a crowd
// of scrapers and silent clients: every scrape is answered, and meanwhile
// the master still does its own work and the workers still serve the app.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int PortOf(const std::string& address) {
  return std::atoi(address.c_str() + address.rfind(':') + 1);
}

// One GET and everything until close, as a scraper does it.
std::string Scrape(int port, const std::string& path, double seconds) {
  Client c(port);
  if (!c.connected()) return "";
  if (!c.Send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n")) return "";
  return c.ReadUntilClose(seconds);
}

// Status 200 and the whole body that Content-Length announces.
bool CompleteOk(const std::string& response) {
  if (response.rfind("HTTP/1.0 200 OK\r\n", 0) != 0) return false;
  std::size_t end = response.find("\r\n\r\n");
  std::size_t at = response.find("Content-Length: ");
  if (end == std::string::npos || at == std::string::npos || at > end) {
    return false;
  }
  return std::strtoul(response.c_str() + at + 16, nullptr, 10) ==
         response.size() - end - 4;
}

TEST(StatsEndpoints, ScrapersAndSilentClientsDoNotStallTheMasterOrTheApps) {
  ServerProcess server;
  ASSERT_TRUE(server.Start(
      {"--http-socket", "127.0.0.1:0", "--processes", "2", "--threads", "2",
       "--mount", "/=" + App("proc_app.py"), "--stats", "127.0.0.1:0",
       "--stats-http", "--metrics", "127.0.0.1:0"},
      1, 30))
      << server.Log();
  ASSERT_TRUE(server.WaitForLogCount(") accepting requests", 2, 20))
      << server.Log();
  int app_port = server.Port();
  int stats_port = PortOf(server.LogWordAfter("stats server enabled on "));
  std::string metrics_url =
      server.LogWordAfter("metrics (Prometheus) on http://");
  int metrics_port = PortOf(metrics_url.substr(0, metrics_url.find('/')));
  ASSERT_GT(stats_port, 0) << server.Log();
  ASSERT_GT(metrics_port, 0) << server.Log();

  // Clients that connect and never send, on both endpoints.
  std::vector<std::unique_ptr<Client>> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(std::make_unique<Client>(stats_port));
    silent.push_back(std::make_unique<Client>(metrics_port));
    ASSERT_TRUE(silent[silent.size() - 2]->connected());
    ASSERT_TRUE(silent.back()->connected());
  }
  auto silent_since = Clock::now();

  // 200 scrapers start at once and keep scraping until the checks below
  // are done, so the crowd is there the whole time.
  constexpr int kScrapers = 200;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::vector<double> slowest(kScrapers, 0);
  std::vector<std::string> bad(kScrapers);
  std::latch go(kScrapers + 1);
  std::vector<std::thread> scrapers;
  for (int i = 0; i < kScrapers; ++i) {
    scrapers.emplace_back([&, i] {
      bool metrics = i % 2 == 1;
      go.arrive_and_wait();
      do {
        auto start = Clock::now();
        std::string r = metrics ? Scrape(metrics_port, "/metrics", 10)
                                : Scrape(stats_port, "/", 10);
        slowest[static_cast<std::size_t>(i)] =
            std::max(slowest[static_cast<std::size_t>(i)], SecondsSince(start));
        if (CompleteOk(r)) {
          ++answered;
        } else {
          ++failed;
          bad[static_cast<std::size_t>(i)] = r;
        }
      } while (!stop);
    });
  }
  go.arrive_and_wait();

  // Meanwhile the app answers promptly...
  double slowest_app = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    Client c(app_port);
    ASSERT_TRUE(c.connected());
    c.Send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    std::string r = c.ReadUntilClose(10);
    slowest_app = std::max(slowest_app, SecondsSince(start));
    EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  }
  // ...and the master still handles its signals: SIGUSR1 logs the stats.
  auto signalled = Clock::now();
  ::kill(server.pid(), SIGUSR1);
  bool logged = server.WaitForLog("stats: worker 1 (pid", 10);
  double master_answer = SecondsSince(signalled);

  stop = true;
  for (auto& t : scrapers) t.join();
  EXPECT_TRUE(logged) << server.Log();
  EXPECT_LT(master_answer, 1.0);
  EXPECT_LT(slowest_app, 1.0);
  EXPECT_EQ(failed.load(), 0);
  for (const std::string& r : bad) {
    if (!r.empty()) {
      ADD_FAILURE() << "incomplete scrape:\n" << r.substr(0, 300);
      break;
    }
  }
  EXPECT_GE(answered.load(), kScrapers);
  EXPECT_LT(*std::max_element(slowest.begin(), slowest.end()), 5.0);

  // The silent clients are dropped after the server's timeout (2 s), with
  // no document.
  for (auto& c : silent) {
    std::string got = c->ReadUntilClose(10);
    EXPECT_TRUE(c->closed());
    EXPECT_EQ(got.find("200 OK"), std::string::npos) << got;
  }
  EXPECT_LT(SecondsSince(silent_since), 8.0);
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace subhost::testing

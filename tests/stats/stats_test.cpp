// The stats JSON and the Prometheus text, rendered from a scoreboard with
// known counters and read back with real parsers.
#include "engine/stats/stats.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "engine/net/address.h"
#include "tests/stats/stats_test_support.h"

namespace subhost::stats {
namespace {

using process::Scoreboard;
using process::WorkerState;
using testing::Exposition;
using testing::JsonFacts;

constexpr std::int64_t kSpawnUs = 1700000000'500000;    // 1700000000 s
constexpr std::int64_t kRequestUs = 1700000100'250000;  // 1700000100 s
constexpr std::uint64_t kMiB = 1024 * 1024;

void SetState(process::WorkerSlot& w, WorkerState state) {
  w.state.store(static_cast<std::uint32_t>(state));
}

// Worker 1: accepting, one request in progress on core 0, both apps loaded.
// Worker 2: stopping, idle, only app 0 loaded.
void FillBoard(Scoreboard& b) {
  process::WorkerSlot& w1 = b.worker(0);
  w1.pid = 1111;
  SetState(w1, WorkerState::kAccepting);
  w1.requests = 10;
  w1.exceptions = 2;
  w1.tx_bytes = 4096;
  w1.busy_us = 25000;
  w1.busy_cores = 1;
  w1.harakiri_count = 1;
  w1.respawn_count = 3;
  w1.last_spawn_us = kSpawnUs;
  w1.rss_bytes = 50 * kMiB;
  w1.vsz_bytes = 200 * kMiB;
  b.core(0, 0).requests = 6;
  b.core(0, 0).write_errors = 1;
  b.core(0, 0).read_errors = 2;
  b.core(0, 0).request_start_us = kRequestUs;
  b.core(0, 1).requests = 4;

  process::AppSlot& a11 = b.app(0, 0);
  a11.interpreter_id = 0;
  a11.startup_us = 2'500'000;
  a11.requests = 7;
  a11.exceptions = 1;
  a11.errors_5xx = 2;
  a11.latency_sum_us = 1'500'000;
  a11.latency_buckets[0] = 2;   // <= 1 ms
  a11.latency_buckets[3] = 4;   // <= 10 ms
  a11.latency_buckets[13] = 1;  // > 10 s
  process::AppSlot& a12 = b.app(0, 1);
  a12.interpreter_id = 1;
  a12.startup_us = 900'000;
  a12.requests = 3;
  a12.exceptions = 1;
  a12.latency_buckets[1] = 3;  // <= 2.5 ms
  a12.latency_sum_us = 6'000;

  process::WorkerSlot& w2 = b.worker(1);
  w2.pid = 2222;
  SetState(w2, WorkerState::kStopping);
  w2.requests = 3;
  w2.busy_us = 1000;
  w2.last_spawn_us = kSpawnUs + 5'000'000;
  w2.rss_bytes = 40 * kMiB;
  b.core(1, 1).requests = 3;
  process::AppSlot& a21 = b.app(1, 0);
  a21.interpreter_id = 0;
  a21.startup_us = 1'000'000;
  a21.requests = 3;
  a21.errors_5xx = 1;
  a21.latency_sum_us = 250'000;
  a21.latency_buckets[0] = 1;  // <= 1 ms
  a21.latency_buckets[5] = 2;  // <= 50 ms
  // Counters of an app a worker has not loaded still count for the mount.
  b.app(1, 1).requests = 0;

  b.header().respawns = 5;
  b.header().harakiris = 1;
}

StatsContext MakeContext() {
  StatsContext c;
  c.version = "0.1.0";
  c.pid = 4242;
  c.uid = 1000;
  c.gid = 1001;
  c.cwd = "/srv";
  c.max_queue = 100;
  c.sockets = {{"/run/s.sock", "uwsgi", -1}};
  c.mounts = {{"", "/srv/root"}, {"/we\"ird\\path", "/srv/api"}};
  c.threads = 2;
  c.workers = 2;
  return c;
}

class StatsJsonTest : public ::testing::Test {
 protected:
  StatsJsonTest() : board_(2, 2, 2), context_(MakeContext()) {
    FillBoard(board_);
  }
  JsonFacts Render() {
    JsonFacts facts = JsonFacts::Parse(RenderStatsJson(board_, context_));
    EXPECT_TRUE(facts.ok()) << facts.error();
    return facts;
  }

  Scoreboard board_;
  StatsContext context_;
};

TEST_F(StatsJsonTest, TopLevelHasEveryKeyWithItsType) {
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$"),
            "dict version,listen_queue,listen_queue_errors,load,pid,uid,gid,"
            "cwd,sockets,workers");
  EXPECT_EQ(d.At("$.version"), "str \"0.1.0\"");
  EXPECT_EQ(d.At("$.listen_queue"), "int 0");
  EXPECT_EQ(d.At("$.listen_queue_errors"), "int 0");
  EXPECT_EQ(d.At("$.load"), "int 1");  // worker 1's request in progress
  EXPECT_EQ(d.At("$.pid"), "int 4242");
  EXPECT_EQ(d.At("$.uid"), "int 1000");
  EXPECT_EQ(d.At("$.gid"), "int 1001");
  EXPECT_EQ(d.At("$.cwd"), "str \"/srv\"");
  EXPECT_EQ(d.At("$.sockets"), "list 1");
  EXPECT_EQ(d.At("$.workers"), "list 2");
}

TEST_F(StatsJsonTest, UnixSocketReportsEmptyQueueAndTheBacklog) {
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.sockets[0]"),
            "dict name,proto,queue,max_queue,shared,can_offload");
  EXPECT_EQ(d.At("$.sockets[0].name"), "str \"/run/s.sock\"");
  EXPECT_EQ(d.At("$.sockets[0].proto"), "str \"uwsgi\"");
  EXPECT_EQ(d.At("$.sockets[0].queue"), "int 0");
  EXPECT_EQ(d.At("$.sockets[0].max_queue"), "int 100");
  EXPECT_EQ(d.At("$.sockets[0].shared"), "int 0");
  EXPECT_EQ(d.At("$.sockets[0].can_offload"), "int 0");
}

TEST_F(StatsJsonTest, WorkerFieldsComeFromTheScoreboard) {
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0]"),
            "dict id,pid,accepting,requests,delta_requests,exceptions,"
            "harakiri_count,signals,status,rss,vsz,running_time,last_spawn,"
            "respawn_count,tx,avg_rt,apps,cores");
  EXPECT_EQ(d.At("$.workers[0].id"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].pid"), "int 1111");
  EXPECT_EQ(d.At("$.workers[0].accepting"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].requests"), "int 10");
  EXPECT_EQ(d.At("$.workers[0].delta_requests"), "int 10");
  EXPECT_EQ(d.At("$.workers[0].exceptions"), "int 2");
  EXPECT_EQ(d.At("$.workers[0].harakiri_count"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].signals"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].status"), "str \"busy\"");
  EXPECT_EQ(d.At("$.workers[0].rss"), "int 52428800");
  EXPECT_EQ(d.At("$.workers[0].vsz"), "int 209715200");
  EXPECT_EQ(d.At("$.workers[0].running_time"), "int 25000");
  EXPECT_EQ(d.At("$.workers[0].last_spawn"), "int 1700000000");
  EXPECT_EQ(d.At("$.workers[0].respawn_count"), "int 3");
  EXPECT_EQ(d.At("$.workers[0].tx"), "int 4096");
  EXPECT_EQ(d.At("$.workers[0].avg_rt"), "int 2500");  // 25000 µs / 10

  EXPECT_EQ(d.At("$.workers[1].id"), "int 2");
  EXPECT_EQ(d.At("$.workers[1].pid"), "int 2222");
  EXPECT_EQ(d.At("$.workers[1].accepting"), "int 0");
  EXPECT_EQ(d.At("$.workers[1].status"), "str \"pause\"");
  EXPECT_EQ(d.At("$.workers[1].last_spawn"), "int 1700000005");
  EXPECT_EQ(d.At("$.workers[1].avg_rt"), "int 333");
}

TEST_F(StatsJsonTest, StatusIsIdleWhenNothingIsInProgress) {
  board_.worker(0).busy_cores = 0;
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0].status"), "str \"idle\"");
  EXPECT_EQ(d.At("$.load"), "int 0");
}

TEST_F(StatsJsonTest, AvgRtIsZeroWithoutRequests) {
  board_.worker(0).requests = 0;
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0].avg_rt"), "int 0");
}

TEST_F(StatsJsonTest, AppsListOnlyLoadedApps) {
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0].apps"), "list 2");
  EXPECT_EQ(d.At("$.workers[0].apps[0]"),
            "dict id,modifier1,mountpoint,startup_time,requests,exceptions,"
            "chdir");
  EXPECT_EQ(d.At("$.workers[0].apps[0].id"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].apps[0].modifier1"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].apps[0].mountpoint"), "str \"\"");
  EXPECT_EQ(d.At("$.workers[0].apps[0].startup_time"), "int 2");
  EXPECT_EQ(d.At("$.workers[0].apps[0].requests"), "int 7");
  EXPECT_EQ(d.At("$.workers[0].apps[0].exceptions"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].apps[0].chdir"), "str \"/srv/root\"");
  EXPECT_EQ(d.At("$.workers[0].apps[1].id"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].apps[1].mountpoint"),
            "str \"/we\\\"ird\\\\path\"");
  EXPECT_EQ(d.At("$.workers[0].apps[1].requests"), "int 3");
  EXPECT_EQ(d.At("$.workers[0].apps[1].chdir"), "str \"/srv/api\"");
  // Worker 2 has not loaded app 1.
  EXPECT_EQ(d.At("$.workers[1].apps"), "list 1");
  EXPECT_EQ(d.At("$.workers[1].apps[0].id"), "int 0");
  EXPECT_EQ(d.At("$.workers[1].apps[0].requests"), "int 3");
}

TEST_F(StatsJsonTest, CoresReportRequestsErrorsAndTheRequestInProgress) {
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0].cores"), "list 2");
  EXPECT_EQ(d.At("$.workers[0].cores[0]"),
            "dict id,requests,static_requests,routed_requests,"
            "offloaded_requests,write_errors,read_errors,in_request,vars,"
            "req_info");
  EXPECT_EQ(d.At("$.workers[0].cores[0].id"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].cores[0].requests"), "int 6");
  EXPECT_EQ(d.At("$.workers[0].cores[0].static_requests"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].cores[0].routed_requests"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].cores[0].offloaded_requests"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].cores[0].write_errors"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].cores[0].read_errors"), "int 2");
  EXPECT_EQ(d.At("$.workers[0].cores[0].in_request"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].cores[0].vars"), "list 0");
  EXPECT_EQ(d.At("$.workers[0].cores[0].req_info"), "dict request_start");
  EXPECT_EQ(d.At("$.workers[0].cores[0].req_info.request_start"),
            "int 1700000100");
  EXPECT_EQ(d.At("$.workers[0].cores[1].id"), "int 1");
  EXPECT_EQ(d.At("$.workers[0].cores[1].requests"), "int 4");
  EXPECT_EQ(d.At("$.workers[0].cores[1].in_request"), "int 0");
  EXPECT_EQ(d.At("$.workers[0].cores[1].req_info.request_start"), "int 0");
  EXPECT_EQ(d.At("$.workers[1].cores[1].requests"), "int 3");
}

TEST_F(StatsJsonTest, CoresBeyondTheConfiguredThreadsAreLeftOut) {
  context_.threads = 1;
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers[0].cores"), "list 1");
}

TEST_F(StatsJsonTest, DeltaRequestsCountsSinceThePreviousRender) {
  EXPECT_EQ(Render().At("$.workers[0].delta_requests"), "int 10");
  EXPECT_EQ(board_.worker(0).delta_requests.load(), 10u);
  EXPECT_EQ(board_.worker(0).requests_at_last_read.load(), 10u);

  JsonFacts second = Render();
  EXPECT_EQ(second.At("$.workers[0].delta_requests"), "int 0");
  EXPECT_EQ(second.At("$.workers[1].delta_requests"), "int 0");
  EXPECT_EQ(board_.worker(0).delta_requests.load(), 0u);

  board_.worker(0).requests += 4;
  JsonFacts third = Render();
  EXPECT_EQ(third.At("$.workers[0].delta_requests"), "int 4");
  EXPECT_EQ(third.At("$.workers[0].requests"), "int 14");
  EXPECT_EQ(third.At("$.workers[1].delta_requests"), "int 0");
}

TEST_F(StatsJsonTest, DeltaRequestsAfterARespawnCountsTheNewWorker) {
  Render();
  board_.ResetForSpawn(0);
  SetState(board_.worker(0), WorkerState::kAccepting);
  board_.worker(0).requests = 2;
  EXPECT_EQ(Render().At("$.workers[0].delta_requests"), "int 2");
}

TEST_F(StatsJsonTest, FreeSlotsAreOmitted) {
  SetState(board_.worker(0), WorkerState::kFree);
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers"), "list 1");
  EXPECT_EQ(d.At("$.workers[0].id"), "int 2");
  // A free slot's stale in-progress count does not add to the load.
  EXPECT_EQ(d.At("$.load"), "int 0");
}

TEST_F(StatsJsonTest, SlotsBeyondThoseInUseAreIgnored) {
  context_.workers = 1;
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.workers"), "list 1");
  EXPECT_EQ(d.At("$.workers[0].id"), "int 1");
}

TEST_F(StatsJsonTest, StringsAreEscapedAndInvalidUtf8Replaced) {
  context_.cwd = std::string("/tmp/a\"b\\c\nd\te\x01\xc3\xa9\xff\xed\xa0\x80z");
  context_.version = "\xe2\x82\xac 1";
  JsonFacts d = Render();
  // json.dumps re-escapes the decoded string in ASCII.
  EXPECT_EQ(d.At("$.cwd"),
            "str \"/tmp/a\\\"b\\\\c\\nd\\te\\u0001\\u00e9\\ufffd"
            "\\ufffd\\ufffd\\ufffdz\"");
  EXPECT_EQ(d.At("$.version"), "str \"\\u20ac 1\"");
}

TEST_F(StatsJsonTest, NoSocketsAndNoWorkersStillRenderValidJson) {
  context_.sockets.clear();
  SetState(board_.worker(0), WorkerState::kFree);
  SetState(board_.worker(1), WorkerState::kFree);
  JsonFacts d = Render();
  EXPECT_EQ(d.At("$.sockets"), "list 0");
  EXPECT_EQ(d.At("$.workers"), "list 0");
}

// A TCP listener's accept queue is read from the kernel.
TEST(ListenQueueTest, TcpQueueCountsUnacceptedConnections) {
  net::Address address;
  std::string error;
  ASSERT_TRUE(net::ParseAddress("127.0.0.1:0", &address, &error)) << error;
  net::BindOptions options;
  options.backlog = 7;
  int listener = net::BindListener(address, options, &error);
  ASSERT_GE(listener, 0) << error;
  std::string name = net::LocalName(listener);
  std::uint16_t port =
      static_cast<std::uint16_t>(std::stoi(name.substr(name.rfind(':') + 1)));

  ListenQueue empty = ReadListenQueue(listener, 100);
  EXPECT_EQ(empty.queue, 0u);
  EXPECT_EQ(empty.max_queue, 7u);

  int clients[2];
  for (int& c : clients) {
    c = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  }
  // The handshake's last ACK reaches the listener just after connect().
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (ReadListenQueue(listener, 100).queue < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ReadListenQueue(listener, 100).queue, 2u);

  Scoreboard board(1, 1, 0);
  StatsContext context;
  context.sockets = {{name, "http", listener}, {"/run/x.sock", "uwsgi", -1}};
  context.max_queue = 100;
  JsonFacts d = JsonFacts::Parse(RenderStatsJson(board, context));
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d.At("$.listen_queue"), "int 2");
  EXPECT_EQ(d.At("$.sockets[0].queue"), "int 2");
  EXPECT_EQ(d.At("$.sockets[0].max_queue"), "int 7");
  EXPECT_EQ(d.At("$.sockets[1].queue"), "int 0");
  EXPECT_EQ(d.At("$.sockets[1].max_queue"), "int 100");

  Exposition m = Exposition::Parse(RenderMetrics(board, context));
  EXPECT_TRUE(m.errors().empty()) << m.ErrorText();
  EXPECT_EQ(m.Value("subhost_listen_queue{socket=" + name + "}"), 2);

  for (int c : clients) ::close(c);
  ::close(listener);
}

// --- metrics ----------------------------------------------------------------

class MetricsTest : public StatsJsonTest {
 protected:
  Exposition RenderText() {
    text_ = RenderMetrics(board_, context_);
    Exposition e = Exposition::Parse(text_);
    EXPECT_TRUE(e.errors().empty()) << e.ErrorText() << "\n" << text_;
    return e;
  }
  std::string text_;
};

constexpr char kRoot[] = "mount=/";
constexpr char kApi[] = "mount=/we\"ird\\path";

std::string Series(const std::string& name, const std::string& labels) {
  return name + "{" + labels + "}";
}

TEST_F(MetricsTest, EveryFamilyHasHelpAndType) {
  Exposition e = RenderText();
  const std::pair<const char*, const char*> kFamilies[] = {
      {"subhost_requests_total", "counter"},
      {"subhost_exceptions_total", "counter"},
      {"subhost_errors_5xx_total", "counter"},
      {"subhost_request_duration_seconds", "histogram"},
      {"subhost_worker_requests_total", "counter"},
      {"subhost_worker_busy", "gauge"},
      {"subhost_worker_state", "gauge"},
      {"subhost_worker_rss_bytes", "gauge"},
      {"subhost_worker_respawns_total", "counter"},
      {"subhost_respawns_total", "counter"},
      {"subhost_harakiri_total", "counter"},
      {"subhost_workers", "gauge"},
  };
  for (const auto& [family, type] : kFamilies) {
    EXPECT_EQ(e.TypeOf(family), type) << family;
    EXPECT_TRUE(e.HasHelp(family)) << family;
  }
}

TEST_F(MetricsTest, MountCountersAreSummedOverWorkers) {
  Exposition e = RenderText();
  EXPECT_EQ(e.Value(Series("subhost_requests_total", kRoot)), 10);
  EXPECT_EQ(e.Value(Series("subhost_requests_total", kApi)), 3);
  EXPECT_EQ(e.Value(Series("subhost_exceptions_total", kRoot)), 1);
  EXPECT_EQ(e.Value(Series("subhost_exceptions_total", kApi)), 1);
  EXPECT_EQ(e.Value(Series("subhost_errors_5xx_total", kRoot)), 3);
  EXPECT_EQ(e.Value(Series("subhost_errors_5xx_total", kApi)), 0);
  // The escaped label value is on the wire.
  EXPECT_NE(
      text_.find("subhost_requests_total{mount=\"/we\\\"ird\\\\path\"} 3\n"),
      std::string::npos)
      << text_;
}

TEST_F(MetricsTest, LatencyHistogramIsCumulativeInSeconds) {
  Exposition e = RenderText();
  auto bucket = [&](const std::string& mount, const std::string& le) {
    return e.Value(Series("subhost_request_duration_seconds_bucket",
                          "le=" + le + "," + mount));
  };
  // Root: worker 1 has 2 at <=1ms, 4 at <=10ms, 1 over 10s; worker 2 has
  // 1 at <=1ms and 2 at <=50ms.
  EXPECT_EQ(bucket(kRoot, "0.001"), 3);
  EXPECT_EQ(bucket(kRoot, "0.0025"), 3);
  EXPECT_EQ(bucket(kRoot, "0.005"), 3);
  EXPECT_EQ(bucket(kRoot, "0.01"), 7);
  EXPECT_EQ(bucket(kRoot, "0.025"), 7);
  EXPECT_EQ(bucket(kRoot, "0.05"), 9);
  EXPECT_EQ(bucket(kRoot, "0.1"), 9);
  EXPECT_EQ(bucket(kRoot, "0.25"), 9);
  EXPECT_EQ(bucket(kRoot, "0.5"), 9);
  EXPECT_EQ(bucket(kRoot, "1"), 9);
  EXPECT_EQ(bucket(kRoot, "2.5"), 9);
  EXPECT_EQ(bucket(kRoot, "5"), 9);
  EXPECT_EQ(bucket(kRoot, "10"), 9);
  EXPECT_EQ(bucket(kRoot, "+Inf"), 10);
  EXPECT_EQ(e.Value(Series("subhost_request_duration_seconds_count", kRoot)),
            10);
  EXPECT_DOUBLE_EQ(
      e.Value(Series("subhost_request_duration_seconds_sum", kRoot)), 1.75);

  EXPECT_EQ(bucket(kApi, "0.001"), 0);
  EXPECT_EQ(bucket(kApi, "0.0025"), 3);
  EXPECT_EQ(bucket(kApi, "+Inf"), 3);
  EXPECT_DOUBLE_EQ(
      e.Value(Series("subhost_request_duration_seconds_sum", kApi)), 0.006);
  // 14 buckets + sum + count, per mount.
  int histogram_lines = 0;
  for (std::size_t at = 0;
       (at = text_.find("\nsubhost_request_duration_seconds", at)) !=
       std::string::npos;
       ++at) {
    ++histogram_lines;
  }
  EXPECT_EQ(histogram_lines, 2 * (process::kLatencyBuckets + 2));
}

TEST_F(MetricsTest, WorkerSeries) {
  Exposition e = RenderText();
  EXPECT_EQ(e.Value("subhost_worker_requests_total{worker=1}"), 10);
  EXPECT_EQ(e.Value("subhost_worker_requests_total{worker=2}"), 3);
  EXPECT_EQ(e.Value("subhost_worker_busy{worker=1}"), 1);
  EXPECT_EQ(e.Value("subhost_worker_busy{worker=2}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_state{state=accepting,worker=1}"), 1);
  EXPECT_EQ(e.Value("subhost_worker_state{state=starting,worker=1}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_state{state=stopping,worker=1}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_state{state=free,worker=1}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_state{state=stopping,worker=2}"), 1);
  EXPECT_EQ(e.Value("subhost_worker_state{state=accepting,worker=2}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_rss_bytes{worker=1}"), 50.0 * kMiB);
  EXPECT_EQ(e.Value("subhost_worker_rss_bytes{worker=2}"), 40.0 * kMiB);
  EXPECT_EQ(e.Value("subhost_worker_respawns_total{worker=1}"), 3);
  EXPECT_EQ(e.Value("subhost_worker_respawns_total{worker=2}"), 0);
}

TEST_F(MetricsTest, MasterTotals) {
  Exposition e = RenderText();
  EXPECT_EQ(e.Value("subhost_respawns_total"), 5);
  EXPECT_EQ(e.Value("subhost_harakiri_total"), 1);
  EXPECT_EQ(e.Value("subhost_workers"), 2);
}

TEST_F(MetricsTest, AFreeSlotShowsAsFreeWithoutAProcess) {
  SetState(board_.worker(0), WorkerState::kFree);
  Exposition e = RenderText();
  EXPECT_EQ(e.Value("subhost_workers"), 1);
  EXPECT_EQ(e.Value("subhost_worker_state{state=free,worker=1}"), 1);
  EXPECT_EQ(e.Value("subhost_worker_state{state=accepting,worker=1}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_busy{worker=1}"), 0);
  EXPECT_EQ(e.Value("subhost_worker_rss_bytes{worker=1}"), 0);
}

TEST_F(MetricsTest, RenderingMetricsLeavesDeltaRequestsAlone) {
  RenderText();
  EXPECT_EQ(board_.worker(0).requests_at_last_read.load(), 0u);
  EXPECT_EQ(Render().At("$.workers[0].delta_requests"), "int 10");
}

// The checker itself must reject what the format forbids, or the tests
// above prove nothing.
TEST(ExpositionCheckerTest, RejectsMalformedText) {
  const char* kBad[] = {
      "# TYPE a counter\na 1",                // no newline
      "a 1\n",                                // no TYPE
      "# TYPE a counter\na{x=\"1\\t\"} 1\n",  // bad escape
      "# TYPE a counter\na{x=\"1} 1\n",       // unterminated
      "# TYPE a counter\na one\n",            // bad value
      "# TYPE a counter\n# TYPE b gauge\na 1\nb 1\na{x=\"y\"} 2\n",  // split
      "# TYPE a counter\na 1\na 2\n",  // duplicate
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
      "h_sum 1\nh_count 1\n",  // not cumulative
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n",  // +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
      "# TYPE a countr\na 1\n",  // bad type
      "# TYPE 1a counter\n",     // bad name
  };
  for (const char* text : kBad) {
    EXPECT_FALSE(Exposition::Parse(text).errors().empty()) << text;
  }
  Exposition good = Exposition::Parse(
      "# HELP a A \\\\ help\\n.\n# TYPE a counter\na{x=\"q\\\"\\\\\\n\"} "
      "1.5e3\n"
      "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
      "h_sum 0.7\nh_count 2\n");
  EXPECT_TRUE(good.errors().empty()) << good.ErrorText();
  EXPECT_EQ(good.Value("a{x=q\"\\\n}"), 1500);
}

}  // namespace
}  // namespace subhost::stats

// The process model of the subhost command, for real: the binary started on
// port 0, a master forking workers, real signals, real sockets. The app
// (tests/apps/proc_app.py) reports where it was imported and where it
// serves; the stats socket tells which worker is busy, so a test can reach
// a chosen worker without guessing at timing. Every wait has a deadline.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}

const char* Python() {
  return ::access("/usr/bin/python3.11", X_OK) == 0 ? "/usr/bin/python3.11"
                                                    : "python3";
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One HTTP exchange, as the client saw it.
struct Reply {
  bool complete = false;  // a whole response arrived
  int status = 0;
  std::string head;
  std::string body;
  std::string raw;
  std::string error;  // why no complete response came, for messages
};

Reply ParseReply(const std::string& raw) {
  Reply r;
  r.raw = raw;
  r.complete = Client::CountResponses(raw) >= 1;
  size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) {
    r.status = std::atoi(raw.c_str() + 9);
  }
  if (end == std::string::npos) return r;
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  return r;
}

// GET target on a fresh connection that the client asks to close.
Reply Get(int port, const std::string& target, double seconds = 10) {
  Reply r;
  Client c(port);
  if (!c.connected()) {
    r.error = std::string("connect failed: ") + std::strerror(errno);
    return r;
  }
  if (!c.Send("GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")) {
    r.error = std::string("send failed: ") + std::strerror(errno);
    return r;
  }
  errno = 0;
  std::string raw = c.ReadUntilClose(seconds);
  int read_errno = errno;
  r = ParseReply(raw);
  if (!r.complete) {
    if (!c.closed()) {
      r.error = "no complete response within the deadline";
    } else {
      r.error = std::string(raw.empty() ? "the server closed the connection without "
                                          "answering"
                                        : "the server closed the connection mid-response") +
                (read_errno == ECONNRESET ? " (reset)" : " (EOF)");
    }
  }
  return r;
}

// The raw text of key's value in the app's flat JSON (json.dumps with its
// default ", " and ": " separators): a string without its quotes, a list
// with its brackets ("[123]"), a number as written. "" when absent.
std::string Field(const std::string& json, const std::string& key) {
  std::string k = "\"" + key + "\": ";
  size_t at = json.find(k);
  if (at == std::string::npos) return "";
  at += k.size();
  if (at >= json.size()) return "";
  if (json[at] == '"') {
    std::string out;
    for (size_t i = at + 1; i < json.size(); ++i) {
      if (json[i] == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (json[i] == '"') {
        return out;
      } else {
        out.push_back(json[i]);
      }
    }
    return "";  // unterminated
  }
  if (json[at] == '[') {
    size_t end = json.find(']', at);
    return end == std::string::npos ? "" : json.substr(at, end - at + 1);
  }
  size_t end = json.find_first_of(",}", at);
  return end == std::string::npos ? "" : json.substr(at, end - at);
}

// What proc_app.py reported in one response.
struct AppInfo {
  bool ok = false;  // a complete 200 carrying the app's JSON
  long pid = 0;
  long import_pid = 0;
  long masterpid = 0;
  long worker_id = 0;
  std::string random, hooks, uwsgi_hooks, mountpoint, version;
  std::string raw;    // for failure messages
  std::string error;  // the transport's complaint, if any
};

AppInfo ParseApp(const Reply& r) {
  AppInfo a;
  a.raw = r.raw;
  a.error = r.error;
  if (!r.complete || r.status != 200) return a;
  const std::string& b = r.body;
  a.pid = std::atol(Field(b, "pid").c_str());
  a.import_pid = std::atol(Field(b, "import_pid").c_str());
  a.masterpid = std::atol(Field(b, "masterpid").c_str());
  a.worker_id = std::atol(Field(b, "worker_id").c_str());
  a.random = Field(b, "random");
  a.hooks = Field(b, "hooks");
  a.uwsgi_hooks = Field(b, "uwsgi_hooks");
  a.mountpoint = Field(b, "mountpoint");
  a.version = Field(b, "version");
  a.ok = a.pid > 0 && !a.random.empty();
  return a;
}

AppInfo Ask(int port, const std::string& target, double seconds = 10) {
  return ParseApp(Get(port, target, seconds));
}

// Evaluates a Python expression over the JSON document d with CPython and
// returns what it prints, without the trailing newline (a traceback if the
// expression fails, which then fails the comparison that follows).
std::string PyJson(const std::string& dir, const std::string& json,
                   const std::string& expr) {
  std::string doc = dir + "/doc.json", script = dir + "/expr.py";
  std::ofstream(doc, std::ios::binary) << json;
  std::ofstream(script) << "import json, sys\nd = json.load(open(sys.argv[1]))\n"
                        << "print(" << expr << ")\n";
  std::string out = Shell(std::string(Python()) + " " + script + " " + doc + " 2>&1");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string StripSpace(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](unsigned char c) { return std::isspace(c) != 0; }),
          s.end());
  return s;
}

// Whether some line of text contains all of parts, in order.
bool HasLine(const std::string& text, const std::vector<std::string>& parts) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t at = 0;
    bool all = true;
    for (const std::string& p : parts) {
      at = line.find(p, at);
      if (at == std::string::npos) {
        all = false;
        break;
      }
      at += p.size();
    }
    if (all) return true;
  }
  return false;
}

// text without the lines that contain needle (the request log, say).
std::string Without(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.find(needle) == std::string::npos) out += line + "\n";
  }
  return out;
}

// The number right after the last occurrence of prefix in text; 0 if none.
long NumberAfter(const std::string& text, const std::string& prefix) {
  size_t at = text.rfind(prefix);
  return at == std::string::npos ? 0 : std::atol(text.c_str() + at + prefix.size());
}

bool Alive(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; }

class Process : public ::testing::Test {
 protected:
  // Starts subhost on 127.0.0.1:0 with args; the port comes from the log.
  void Boot(std::vector<std::string> args) {
    args.insert(args.begin(), {"--http-socket", "127.0.0.1:0"});
    ASSERT_TRUE(server_.Start(args, 1, 30)) << server_.Log();
    port_ = server_.Port();
    master_ = server_.pid();
  }
  // Waits until the log shows n workers (any incarnation) accepting.
  bool WaitForWorkers(int n, double seconds = 20) {
    return server_.WaitForLogCount(") accepting requests", n, seconds);
  }
  std::string Stats() {
    std::string address = server_.LogWordAfter("stats server enabled on ");
    return address.empty() ? "" : FetchUntilClose(address);
  }
  // The Python expression's value over a fresh stats document.
  std::string StatsEval(const std::string& expr) {
    return PyJson(server_.dir(), Stats(), expr);
  }
  // Waits until the stats show a worker running a request.
  bool WaitUntilAWorkerIsBusy(double seconds = 20) {
    return WaitFor(
        [&] { return StripSpace(Stats()).find("\"status\":\"busy\"") != std::string::npos; },
        seconds);
  }
  // Answers from two different workers (needs --stats and --threads 1): the
  // first request sleeps a second; once the stats show its worker busy, the
  // second request can only be taken by the other worker. Returns {the
  // sleeping worker's answer, the other's}.
  std::pair<AppInfo, AppInfo> AskBothWorkers(const std::string& mount = "") {
    Client hold(port_);
    hold.Send("GET " + mount + "/sleep?1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    bool busy = WaitUntilAWorkerIsBusy();
    AppInfo other;
    if (busy) other = Ask(port_, mount + "/");
    AppInfo held = ParseApp(ParseReply(hold.ReadUntilClose(20)));
    EXPECT_TRUE(busy) << "no worker ever showed busy in the stats\n" << Stats();
    return {held, other};
  }
  // The pid the log gives worker k when it was first spawned.
  long SpawnedPid(int k) {
    return NumberAfter(server_.Log(),
                       "spawned subhost worker " + std::to_string(k) + " (pid: ");
  }

  ServerProcess server_;
  int port_ = 0;
  pid_t master_ = 0;
};

// 1. Prefork: the master imports once; each worker serves from a fork.
TEST_F(Process, PreforkImportsInTheMasterAndServesFromForkedWorkers) {
  Boot({"--master", "--processes", "2", "--threads", "1", "--mount", "/=" + App("proc_app.py"),
        "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  EXPECT_TRUE(server_.LogContains("spawned subhost master process (pid: " +
                                  std::to_string(master_) + ")"));
  EXPECT_TRUE(server_.LogContains("prefork mode:"));
  auto [a, b] = AskBothWorkers();
  ASSERT_TRUE(a.ok) << a.raw;
  ASSERT_TRUE(b.ok) << b.raw;
  EXPECT_EQ(a.import_pid, master_);
  EXPECT_EQ(b.import_pid, master_);
  EXPECT_NE(a.pid, master_);
  EXPECT_NE(b.pid, master_);
  EXPECT_NE(a.pid, b.pid);
  EXPECT_EQ((std::set<long>{a.worker_id, b.worker_id}), (std::set<long>{1, 2}));
  EXPECT_EQ(a.masterpid, master_);
  EXPECT_EQ(b.masterpid, master_);
  // The worker ids match the pids the master logged for them.
  EXPECT_EQ(SpawnedPid(static_cast<int>(a.worker_id)), a.pid) << server_.Log();
  EXPECT_EQ(SpawnedPid(static_cast<int>(b.worker_id)), b.pid) << server_.Log();
}

// 2. Lazy apps: each worker imports for itself.
TEST_F(Process, LazyAppsImportInEachWorker) {
  Boot({"--lazy-apps", "--processes", "2", "--threads", "1", "--mount",
        "/=" + App("proc_app.py"), "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  EXPECT_TRUE(server_.LogContains("lazy-apps mode:"));
  auto [a, b] = AskBothWorkers();
  ASSERT_TRUE(a.ok) << a.raw;
  ASSERT_TRUE(b.ok) << b.raw;
  EXPECT_NE(a.pid, b.pid);
  for (const AppInfo& r : {a, b}) {
    EXPECT_EQ(r.import_pid, r.pid) << r.raw;
    EXPECT_NE(r.pid, master_) << r.raw;
    EXPECT_EQ(r.masterpid, master_) << r.raw;
  }
}

// 3. Python's random module is reseeded in each forked worker.
TEST_F(Process, RandomDiffersPerWorkerInPrefork) {
  Boot({"--processes", "2", "--threads", "1", "--mount", "/=" + App("proc_app.py"),
        "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  // Fresh workers, and these are the first requests each one serves.
  auto [a, b] = AskBothWorkers();
  ASSERT_TRUE(a.ok) << a.raw;
  ASSERT_TRUE(b.ok) << b.raw;
  ASSERT_NE(a.pid, b.pid);
  EXPECT_NE(a.random, b.random) << "both workers drew the same first random "
                                   "number: the RNG state was copied by fork "
                                   "and not reseeded\n"
                                << a.raw << "\n" << b.raw;
}

// 4. Postfork hooks run once per worker and per interpreter.
void CheckHooks(const AppInfo& r, const std::string& mountpoint) {
  ASSERT_TRUE(r.ok) << r.raw;
  std::string mine = "[" + std::to_string(r.pid) + "]";
  EXPECT_EQ(r.hooks, mine) << r.raw;
  EXPECT_EQ(r.uwsgi_hooks, mine) << r.raw;
  EXPECT_EQ(r.mountpoint, mountpoint) << r.raw;
}

class ProcessPostforkHooks : public Process {
 protected:
  void Run(bool lazy) {
    std::vector<std::string> args = {"--processes", "2", "--threads", "1",
                                     "--mount", "/=" + App("proc_app.py"),
                                     "--mount", "/b=" + App("proc_app.py"),
                                     "--stats", "127.0.0.1:0"};
    if (lazy) args.push_back("--lazy-apps");
    Boot(args);
    ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
    auto [root1, root2] = AskBothWorkers("");
    auto [b1, b2] = AskBothWorkers("/b");
    CheckHooks(root1, "");
    CheckHooks(root2, "");
    CheckHooks(b1, "/b");
    CheckHooks(b2, "/b");
    EXPECT_NE(root1.pid, root2.pid);
    EXPECT_NE(b1.pid, b2.pid);
  }
};

TEST_F(ProcessPostforkHooks, RunOncePerWorkerPerInterpreterInPrefork) { Run(false); }
TEST_F(ProcessPostforkHooks, RunOncePerWorkerPerInterpreterWithLazyApps) { Run(true); }

// 5. A worker killed with SIGKILL is noticed and respawned.
TEST_F(Process, KilledWorkerIsRespawnedAndCounted) {
  Boot({"--processes", "2", "--threads", "1", "--mount", "/=" + App("proc_app.py"),
        "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  AppInfo victim = Ask(port_, "/");
  ASSERT_TRUE(victim.ok) << victim.raw;
  ASSERT_NE(victim.pid, master_);
  std::string k = std::to_string(victim.worker_id);
  long other_pid = SpawnedPid(victim.worker_id == 1 ? 2 : 1);
  ASSERT_EQ(::kill(static_cast<pid_t>(victim.pid), SIGKILL), 0);
  EXPECT_TRUE(server_.WaitForLog("DAMN! worker " + k + " (pid " +
                                 std::to_string(victim.pid) +
                                 ") died, killed by signal 9", 20))
      << server_.Log();
  ASSERT_TRUE(server_.WaitForLog("respawned subhost worker " + k + " (new pid: ", 20))
      << server_.Log();
  long fresh = NumberAfter(server_.Log(), "respawned subhost worker " + k + " (new pid: ");
  ASSERT_GT(fresh, 0);
  EXPECT_NE(fresh, victim.pid);
  ASSERT_TRUE(server_.WaitForLog("worker " + k + " (pid " + std::to_string(fresh) +
                                 ") accepting", 20))
      << server_.Log();
  // Requests succeed, and the new worker is among those answering.
  auto [a, b] = AskBothWorkers();
  ASSERT_TRUE(a.ok) << a.raw;
  ASSERT_TRUE(b.ok) << b.raw;
  EXPECT_EQ((std::set<long>{a.pid, b.pid}), (std::set<long>{fresh, other_pid}));
  // The stats: the slot was respawned once, the other never; all alive.
  std::string rows = StatsEval(
      "' '.join('%d:%d:%d' % (w['id'], w['pid'], w['respawn_count']) for w in d['workers'])");
  std::istringstream in(rows);
  std::string row;
  std::map<long, std::pair<long, long>> by_id;  // id -> {pid, respawns}
  while (in >> row) {
    long id = 0, pid = 0, respawns = 0;
    if (std::sscanf(row.c_str(), "%ld:%ld:%ld", &id, &pid, &respawns) == 3) {
      by_id[id] = {pid, respawns};
    }
  }
  ASSERT_EQ(by_id.size(), 2u) << rows;
  EXPECT_EQ(by_id[victim.worker_id], std::make_pair(fresh, 1L)) << rows;
  EXPECT_EQ(by_id[victim.worker_id == 1 ? 2 : 1], std::make_pair(other_pid, 0L)) << rows;
  for (const auto& [id, w] : by_id) EXPECT_TRUE(Alive(w.first)) << id << " " << rows;
}

// 6. Harakiri: the master kills a worker whose request runs too long.
TEST_F(Process, HarakiriKillsAStuckWorker) {
  Boot({"--harakiri", "1", "--processes", "1", "--mount", "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  long first = SpawnedPid(1);
  ASSERT_GT(first, 0);
  auto start = Clock::now();
  Reply stuck = Get(port_, "/sleep?5", 10);
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_NE(stuck.status, 200) << stuck.raw;
  EXPECT_LT(took, 4.0) << "the request was not cut short";
  EXPECT_TRUE(server_.WaitForLog("HARAKIRI triggered by worker 1 (pid " +
                                 std::to_string(first) +
                                 ") core 0: GET /sleep on mount '/' ran", 10))
      << server_.Log();
  AppInfo next;
  EXPECT_TRUE(WaitFor([&] { return (next = Ask(port_, "/", 5)).ok; }, 20))
      << next.raw << server_.Log();
  EXPECT_NE(next.pid, first);
  EXPECT_FALSE(Alive(first));
}

// 7. --max-requests: a worker recycles itself, and no request is lost.
//
// Known product bug these tests catch (intermittently at 7 requests, nearly
// always at 45): a worker that reached its limit calls Server::Stop(), but its
// request thread may still take a listener event epoll already delivered and
// accept one more connection (ServerImpl::Accept does not look at
// stopping_flag_; Drain() removes the listener from epoll later, from the
// main thread). That connection is then served past the limit, or, when
// Drain() already saw an empty registry, closed unanswered as the worker
// exits (~ServerImpl closes it; the thread returns on exit_flag_ first).
constexpr char kStoppingWorkerAccepts[] =
    "PRODUCT BUG: a worker past its --max-requests limit still accepted a "
    "new connection (ServerImpl::Accept ignores stopping_flag_); such a "
    "connection is served past the limit, or dropped unanswered when Drain() "
    "had already found no connection left.\n";

void MaxRequestsRun(ServerProcess& server, int port, int requests) {
  std::map<long, int> served;
  std::string failures;
  for (int i = 0; i < requests; ++i) {
    AppInfo r = Ask(port, "/", 20);
    if (r.ok) {
      ++served[r.pid];
    } else {
      failures += "request " + std::to_string(i + 1) + ": " + r.error + " [" + r.raw + "]\n";
    }
  }
  EXPECT_TRUE(server.WaitForLog("recycled itself (--max-requests)", 10)) << server.Log();
  // Let the log catch up with the last recycling before it is shown.
  WaitFor([&] {
    return server.LogCount("recycled itself (--max-requests)") >=
           server.LogCount("(--max-requests): recycling");
  }, 5);
  EXPECT_EQ(failures, "") << kStoppingWorkerAccepts << server.Log();
  EXPECT_GE(served.size(), 2u);
  std::string over;
  for (const auto& [pid, n] : served) {
    if (n > 3) over += "pid " + std::to_string(pid) + " served " + std::to_string(n) + "\n";
  }
  EXPECT_EQ(over, "") << "served past --max-requests 3\n"
                      << kStoppingWorkerAccepts << server.Log();
}

TEST_F(Process, MaxRequestsRecyclesWithoutFailingRequests) {
  Boot({"--max-requests", "3", "--processes", "1", "--mount", "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  MaxRequestsRun(server_, port_, 7);
}

// The same over 15 recycles, to make the race above show.
TEST_F(Process, MaxRequestsNeverServesPastTheLimitNorDropsAConnection) {
  Boot({"--max-requests", "3", "--processes", "1", "--threads", "1", "--mount",
        "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  MaxRequestsRun(server_, port_, 45);
}

// 8. SIGHUP reloads the apps, so changed code is served; the master stays.
class ProcessReload : public Process {
 protected:
  void Run(bool lazy) {
    std::string version = server_.dir() + "/VERSION";
    std::ofstream(version) << "1\n";
    server_.SetEnv("PROC_APP_VERSION_FILE", version);
    std::vector<std::string> args = {"--master", "--processes", "2", "--mount",
                                     "/=" + App("proc_app.py")};
    if (lazy) args.push_back("--lazy-apps");
    Boot(args);
    AppInfo before;
    ASSERT_TRUE(WaitFor([&] { return (before = Ask(port_, "/", 5)).ok; }, 20))
        << before.raw << server_.Log();
    EXPECT_EQ(before.version, "1");
    std::ofstream(version, std::ios::trunc) << "2\n";
    ASSERT_TRUE(server_.Signal(SIGHUP));
    AppInfo after;
    EXPECT_TRUE(WaitFor([&] {
      after = Ask(port_, "/", 5);
      return after.ok && after.version == "2";
    }, 30)) << after.raw << "\n" << server_.Log();
    EXPECT_TRUE(server_.LogContains("caught SIGHUP: graceful reload")) << server_.Log();
    EXPECT_EQ(after.masterpid, master_);
    EXPECT_EQ(server_.pid(), master_);
    EXPECT_FALSE(server_.Exited());
    EXPECT_NE(after.pid, before.pid);
    EXPECT_EQ(after.import_pid, lazy ? after.pid : static_cast<long>(master_));
  }
};

TEST_F(ProcessReload, SighupServesChangedCodeInPrefork) { Run(false); }
TEST_F(ProcessReload, SighupServesChangedCodeWithLazyApps) { Run(true); }

// 9. SIGUSR2 replaces the workers one at a time without failing a request.
TEST_F(Process, ChainReloadUnderLoadFailsNoRequest) {
  Boot({"--lazy-apps", "--processes", "2", "--threads", "2", "--mount",
        "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  std::set<long> old_pids = {SpawnedPid(1), SpawnedPid(2)};
  ASSERT_EQ(old_pids.size(), 2u) << server_.Log();

  std::atomic<bool> stop{false};
  std::atomic<bool> replaced{false};  // the chain reload has finished
  std::atomic<int> ok{0}, ok_after{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::set<long> pids_before_signal, pids_after;
  std::atomic<bool> signalled{false};
  auto client = [&](int id) {
    std::unique_ptr<Client> c;
    bool reused = false;  // the connection already carried a response
    long prev_pid = 0;    // which worker sent that response
    int n = 0;
    while (!stop.load()) {
      ++n;
      auto fail = [&](const std::string& what, const std::string& raw) {
        std::string where =
            reused ? " (on a kept-alive connection whose previous response, from pid " +
                         std::to_string(prev_pid) +
                         ", did not say Connection: close)"
                   : " (on a new connection)";
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back("client " + std::to_string(id) + " request " +
                           std::to_string(n) + where + ": " + what + ": [" +
                           raw.substr(0, 300) + "]");
        c.reset();
      };
      if (!c) {
        c = std::make_unique<Client>(port_);
        reused = false;
        if (!c->connected()) {
          fail("connect failed", "");
          continue;
        }
      }
      if (!c->Send("GET /?c=" + std::to_string(id) + " HTTP/1.1\r\nHost: t\r\n\r\n")) {
        fail("send failed", "");
        continue;
      }
      Reply r = ParseReply(c->ReadResponses(1, 10));
      if (!r.complete) {
        fail(c->closed() ? "closed without a complete response" : "no response in 10 s", r.raw);
        continue;
      }
      AppInfo info = ParseApp(r);
      if (!info.ok) {
        fail("not a 200 from the app", r.raw);
        continue;
      }
      ++ok;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (replaced.load()) {
          pids_after.insert(info.pid);
          ++ok_after;
        } else if (!signalled.load()) {
          pids_before_signal.insert(info.pid);
        }
      }
      if (Lower(r.head).find("\r\nconnection: close") != std::string::npos) {
        c.reset();  // the server said so: reconnect for the next request
      } else {
        reused = true;
        prev_pid = info.pid;
      }
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) clients.emplace_back(client, i);
  EXPECT_TRUE(WaitFor([&] { return ok.load() >= 20; }, 20));
  signalled.store(true);
  ASSERT_TRUE(server_.Signal(SIGUSR2));
  bool done = WaitFor([&] {
    return HasLine(server_.Log(), {"chain reload: worker 2 (pid ", ") accepting"});
  }, 30);
  replaced.store(done);
  if (done) WaitFor([&] { return ok_after.load() >= 20; }, 10);
  stop.store(true);
  for (auto& t : clients) t.join();

  EXPECT_TRUE(done) << server_.Log();
  EXPECT_TRUE(HasLine(server_.Log(), {"chain reload: worker 1 (pid ", ") accepting"}))
      << server_.Log();
  std::string all;
  for (const std::string& f : failures) all += f + "\n";
  EXPECT_EQ(failures.size(), 0u)
      << "requests got no complete response during the chain reload. A "
         "failure on a kept-alive connection with nothing received means the "
         "worker closed the connection right after a response that promised "
         "keep-alive (stopping began while that request ran), so the client's "
         "next request, already sent, was dropped:\n"
      << all << "server log, without the request lines:\n"
      << Without(server_.Log(), "127.0.0.1 GET /");
  EXPECT_GT(ok.load(), 0);
  EXPECT_FALSE(pids_before_signal.empty());
  for (long pid : pids_before_signal) EXPECT_EQ(old_pids.count(pid), 1u) << pid;
  EXPECT_FALSE(pids_after.empty());
  for (long pid : pids_after) {
    EXPECT_EQ(old_pids.count(pid), 0u) << "an old worker served after the chain reload: " << pid;
  }
  for (long pid : old_pids) EXPECT_FALSE(Alive(pid)) << pid;
}

// 10. SIGTERM lets the request in flight finish, then exits 0.
TEST_F(Process, SigtermFinishesTheRequestInFlight) {
  Boot({"--processes", "1", "--threads", "1", "--mount", "/=" + App("proc_app.py"),
        "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /sleep?1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  // The request is running once its worker shows busy.
  ASSERT_TRUE(WaitUntilAWorkerIsBusy()) << Stats();
  ASSERT_TRUE(server_.Signal(SIGTERM));
  Reply r = ParseReply(c.ReadUntilClose(20));
  EXPECT_TRUE(r.complete) << r.raw;
  EXPECT_EQ(r.status, 200) << r.raw << "\n" << server_.Log();
  EXPECT_EQ(server_.Stop(SIGTERM, 30), 0) << server_.Log();
  EXPECT_TRUE(server_.LogContains("caught SIGTERM")) << server_.Log();
  EXPECT_TRUE(server_.LogContains("subhost: bye")) << server_.Log();
}

// 11. The stats socket: uWSGI's document, with per-mount counts.
TEST_F(Process, StatsJsonCountsRequestsPerWorkerAndMount) {
  Boot({"--stats", "127.0.0.1:0", "--processes", "2", "--threads", "1",
        "--mount", "/=" + App("proc_app.py"), "--mount", "/b=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  ASSERT_FALSE(server_.LogWordAfter("stats server enabled on ").empty()) << server_.Log();
  EXPECT_TRUE(server_.LogContains("*** stats server enabled on 127.0.0.1:"));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Ask(port_, "/").ok) << i;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Ask(port_, "/b/").ok) << i;
  std::string total;
  EXPECT_TRUE(WaitFor([&] {
    return (total = StatsEval("sum(w['requests'] for w in d['workers'])")) == "15";
  }, 20)) << total;
  std::string doc = Stats();
  auto eval = [&](const std::string& expr) { return PyJson(server_.dir(), doc, expr); };
  EXPECT_EQ(eval("[k for k in ['version', 'listen_queue', 'listen_queue_errors', 'load', "
                 "'pid', 'uid', 'gid', 'cwd', 'sockets', 'workers'] if k not in d]"),
            "[]") << doc;
  EXPECT_EQ(eval("d['pid']"), std::to_string(master_));
  EXPECT_EQ(eval("(d['uid'], d['gid'])"),
            "(" + std::to_string(::getuid()) + ", " + std::to_string(::getgid()) + ")");
  EXPECT_EQ(eval("len(d['sockets'])"), "1");
  EXPECT_EQ(eval("[k for k in ['name', 'proto', 'queue', 'max_queue', 'shared', "
                 "'can_offload'] if k not in d['sockets'][0]]"),
            "[]") << doc;
  EXPECT_EQ(eval("(d['sockets'][0]['name'], d['sockets'][0]['proto'])"),
            "('127.0.0.1:" + std::to_string(port_) + "', 'http')");
  EXPECT_EQ(eval("len(d['workers'])"), "2") << doc;
  EXPECT_EQ(eval("sorted(w['id'] for w in d['workers'])"), "[1, 2]") << doc;
  EXPECT_EQ(eval("sorted({k for w in d['workers'] for k in ['id', 'pid', 'accepting', "
                 "'requests', 'delta_requests', 'exceptions', 'harakiri_count', "
                 "'signals', 'status', 'rss', 'vsz', 'running_time', 'last_spawn', "
                 "'respawn_count', 'tx', 'avg_rt', 'apps', 'cores'] if k not in w})"),
            "[]") << doc;
  EXPECT_EQ(eval("sorted(w['pid'] for w in d['workers'])"),
            "[" + std::to_string(std::min(SpawnedPid(1), SpawnedPid(2))) + ", " +
                std::to_string(std::max(SpawnedPid(1), SpawnedPid(2))) + "]");
  EXPECT_EQ(eval("[w['accepting'] for w in d['workers']]"), "[1, 1]") << doc;
  EXPECT_EQ(eval("sum(a['requests'] for w in d['workers'] for a in w['apps'] "
                 "if a['mountpoint'] == '')"),
            "10") << doc;
  EXPECT_EQ(eval("sum(a['requests'] for w in d['workers'] for a in w['apps'] "
                 "if a['mountpoint'] == '/b')"),
            "5") << doc;
  EXPECT_EQ(eval("sum(c['requests'] for w in d['workers'] for c in w['cores'])"), "15")
      << doc;
  EXPECT_EQ(eval("sorted({k for w in d['workers'] for c in w['cores'] for k in ['id', "
                 "'requests', 'static_requests', 'routed_requests', "
                 "'offloaded_requests', 'write_errors', 'read_errors', 'in_request', "
                 "'vars', 'req_info'] if k not in c})"),
            "[]") << doc;
  EXPECT_EQ(eval("[len(w['cores']) for w in d['workers']]"), "[1, 1]") << doc;
  EXPECT_EQ(eval("all(w['tx'] > 0 and w['rss'] > 0 for w in d['workers'] if w['requests'])"),
            "True") << doc;
  EXPECT_EQ(eval("sum(w['exceptions'] for w in d['workers'])"), "0") << doc;

  // An app that raises counts as an exception, for its worker and its app.
  Reply boom = Get(port_, "/boom");
  EXPECT_EQ(boom.status, 500) << boom.raw;
  std::string exceptions;
  EXPECT_TRUE(WaitFor([&] {
    return (exceptions = StatsEval("sum(w['exceptions'] for w in d['workers'])")) == "1";
  }, 20)) << exceptions;
  EXPECT_EQ(StatsEval("sum(a['exceptions'] for w in d['workers'] for a in w['apps'] "
                      "if a['mountpoint'] == '')"),
            "1");
  EXPECT_EQ(StatsEval("sum(w['requests'] for w in d['workers'])"), "16");
}

// 12. Prometheus metrics over HTTP.
TEST_F(Process, MetricsCountRequestsAndDurations) {
  Boot({"--metrics", "127.0.0.1:0", "--processes", "2", "--mount",
        "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  std::string url = server_.LogWordAfter("metrics (Prometheus) on http://");
  ASSERT_FALSE(url.empty()) << server_.Log();
  std::string address = url.substr(0, url.find('/'));
  const int n = 6;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(Ask(port_, "/").ok) << i;
  std::string metrics;
  std::string count = "subhost_requests_total{mount=\"/\"} " + std::to_string(n) + "\n";
  EXPECT_TRUE(WaitFor([&] {
    metrics = FetchUntilClose(address, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
    return metrics.find(count) != std::string::npos;
  }, 20)) << metrics;
  EXPECT_EQ(metrics.rfind("HTTP/1.", 0), 0u) << metrics;
  EXPECT_NE(metrics.find(" 200 "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("# TYPE subhost_request_duration_seconds histogram\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("subhost_request_duration_seconds_count{mount=\"/\"} " +
                         std::to_string(n) + "\n"),
            std::string::npos) << metrics;
  EXPECT_NE(metrics.find("subhost_request_duration_seconds_bucket{mount=\"/\",le=\"+Inf\"} " +
                         std::to_string(n) + "\n"),
            std::string::npos) << metrics;
}

// 13. The fork-safety report names what an import left open in prefork.
class ProcessForkSafety : public Process {
 protected:
  void SetUp() override {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener_, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener_, 64), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    db_port_ = ntohs(a.sin_port);
    server_.SetEnv("PROC_APP_CONNECT_PORT", std::to_string(db_port_));
    server_.SetEnv("PROC_APP_CONNECT_MOUNT", "/db");
  }
  void TearDown() override {
    for (int fd : accepted_) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
  }
  // Accepts the connections the app's imports made to our listener, until
  // `want` have come (or the deadline); returns how many.
  int AcceptAll(int want, double seconds = 20) {
    WaitFor([&] {
      pollfd p = {listener_, POLLIN, 0};
      while (::poll(&p, 1, 0) > 0) {
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) break;
        accepted_.push_back(fd);
      }
      return static_cast<int>(accepted_.size()) >= want;
    }, seconds);
    return static_cast<int>(accepted_.size());
  }
  std::vector<std::string> Args() {
    return {"--processes", "2", "--mount", "/=" + App("proc_app.py"), "--mount",
            "/db=" + App("proc_app.py")};
  }
  int listener_ = -1;  // stands in for a database server
  int db_port_ = 0;
  std::vector<int> accepted_;
};

TEST_F(ProcessForkSafety, PreforkNamesTheMountAndTheConnection) {
  Boot(Args());
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  EXPECT_TRUE(HasLine(server_.Log(),
                      {"fork-safety: mount '/db' left open at import",
                       "socket connected to 127.0.0.1:" + std::to_string(db_port_)}))
      << server_.Log();
  EXPECT_FALSE(server_.LogContains("fork-safety: mount '/' ")) << server_.Log();
  // One connection, made by the master's import, shared by the workers.
  EXPECT_EQ(AcceptAll(1), 1);
  AppInfo db = Ask(port_, "/db/");
  EXPECT_TRUE(db.ok) << db.raw;
  EXPECT_EQ(db.mountpoint, "/db");
}

TEST_F(ProcessForkSafety, LazyAppsGiveNoWarning) {
  std::vector<std::string> args = Args();
  args.push_back("--lazy-apps");
  Boot(args);
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  AppInfo db = Ask(port_, "/db/");
  ASSERT_TRUE(db.ok) << db.raw;
  EXPECT_EQ(db.mountpoint, "/db");
  EXPECT_EQ(db.import_pid, db.pid);
  // Each worker did connect, after fork: the report is absent because
  // nothing was shared, not because nothing was opened.
  EXPECT_EQ(AcceptAll(2), 2) << server_.Log();
  EXPECT_FALSE(server_.LogContains("fork-safety")) << server_.Log();
}

// 14. SIGTTIN adds a worker, SIGTTOU takes it away again.
TEST_F(Process, SigttinAddsAWorkerAndSigttouRemovesIt) {
  Boot({"--processes", "2", "--mount", "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  ASSERT_TRUE(server_.Signal(SIGTTIN));
  ASSERT_TRUE(server_.WaitForLog("spawned subhost worker 3 (pid: ", 20)) << server_.Log();
  long third = SpawnedPid(3);
  ASSERT_GT(third, 0);
  EXPECT_TRUE(server_.WaitForLog("worker 3 (pid " + std::to_string(third) + ") accepting", 20))
      << server_.Log();
  EXPECT_TRUE(Alive(third));
  ASSERT_TRUE(server_.Signal(SIGTTOU));
  EXPECT_TRUE(server_.WaitForLog("worker 3 (pid " + std::to_string(third) +
                                 ") stopped (one worker fewer)", 20))
      << server_.Log();
  EXPECT_TRUE(WaitFor([&] { return !Alive(third); }, 10));
  // Workers 1 and 2 are untouched, and the server still serves.
  EXPECT_TRUE(Alive(SpawnedPid(1)));
  EXPECT_TRUE(Alive(SpawnedPid(2)));
  EXPECT_FALSE(server_.LogContains("respawned subhost worker")) << server_.Log();
  EXPECT_TRUE(Ask(port_, "/").ok);
}

// Programs an app starts get a clean signal mask, with or without a master.
void SubprocessObeysTerminate(ServerProcess& server, int port,
                              const char* where) {
  Reply r = Get(port, "/subprocess", 20);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "-15") << where << "\n" << server.Log();
  EXPECT_EQ(server.Stop(SIGTERM, 30), 0) << server.Log();
}

TEST_F(Process, SubprocessOfAnAppObeysTerminateInASingleProcess) {
  Boot({"--mount", "/=" + App("proc_app.py")});
  SubprocessObeysTerminate(server_, port_, "single process");
}

TEST_F(Process, SubprocessOfAnAppObeysTerminateInAWorker) {
  Boot({"--master", "--processes", "1", "--mount", "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  SubprocessObeysTerminate(server_, port_, "worker");
}

// A worker whose app runs a thread started in a post-fork hook still stops
// cleanly (ending its interpreter then would abort the process).
TEST_F(Process, WorkerWithAnAppThreadStopsCleanly) {
  server_.SetEnv("PROC_APP_POSTFORK_THREAD", "1");
  Boot({"--master", "--processes", "1", "--mount", "/=" + App("proc_app.py")});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  EXPECT_EQ(Get(port_, "/").status, 200);
  EXPECT_EQ(server_.Stop(SIGTERM, 30), 0) << server_.Log();
  EXPECT_TRUE(server_.LogContains("worker 1 (pid ")) << server_.Log();
  EXPECT_TRUE(server_.LogContains("stopped, exited with code 0")) << server_.Log();
  EXPECT_FALSE(server_.LogContains("died")) << server_.Log();
  EXPECT_FALSE(server_.LogContains("Fatal Python error")) << server_.Log();
}

// --lazy-apps --need-app: a worker that cannot load every app takes the
// whole server down with exit code 22, instead of respawning forever.
TEST_F(Process, LazyAppsNeedAppExits22) {
  std::vector<std::string> args = {
      "--http-socket", "127.0.0.1:0", "--lazy-apps", "--processes", "2",
      "--need-app", "--mount", "/=" + App("proc_app.py"),
      "--mount", "/broken=" + App("broken_import.py")};
  server_.Start(args, 1, 30);
  EXPECT_EQ(server_.Stop(0, 30), 22) << server_.Log();
  EXPECT_TRUE(server_.LogContains("--need-app")) << server_.Log();
  EXPECT_TRUE(server_.LogContains("broken_import.py")) << server_.Log();
}

// --touch-reload: touching the file reloads like SIGHUP; --touch-chain-reload
// replaces the workers one at a time.
TEST_F(Process, TouchFilesReloadAndChainReload) {
  std::string reload = server_.dir() + "/reload.touch";
  std::string chain = server_.dir() + "/chain.touch";
  for (const std::string& f : {reload, chain}) {
    std::FILE* fp = std::fopen(f.c_str(), "w");
    ASSERT_NE(fp, nullptr);
    std::fclose(fp);
  }
  Boot({"--processes", "2", "--lazy-apps", "--mount", "/=" + App("proc_app.py"),
        "--touch-reload", reload, "--touch-chain-reload", chain});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  // A new mtime, whatever the file system's timestamp granularity.
  auto touch = [](const std::string& f, int seconds_ahead) {
    timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec += seconds_ahead;
    times[1] = times[0];
    return ::utimensat(AT_FDCWD, f.c_str(), times, 0) == 0;
  };
  ASSERT_TRUE(touch(chain, 10));
  EXPECT_TRUE(server_.WaitForLog("chain.touch was touched: chain reload", 20)) << server_.Log();
  EXPECT_TRUE(server_.WaitForLog("chain reload: worker 2 (pid", 20)) << server_.Log();
  EXPECT_TRUE(WaitForWorkers(4)) << server_.Log();
  ASSERT_TRUE(touch(reload, 20));
  EXPECT_TRUE(server_.WaitForLog("reload.touch was touched: graceful reload", 20)) << server_.Log();
  EXPECT_TRUE(server_.WaitForLog("reloading: executing", 20)) << server_.Log();
  EXPECT_TRUE(WaitForWorkers(6)) << server_.Log();
  AppInfo after = Ask(port_, "/");
  EXPECT_TRUE(after.ok) << after.raw;
  EXPECT_EQ(after.masterpid, master_);
}

// --reload-on-rss: a worker over the limit is recycled, and serving goes on.
TEST_F(Process, ReloadOnRssRecyclesABigWorker) {
  // Any CPython worker is over 1 MB.
  Boot({"--processes", "1", "--mount", "/=" + App("proc_app.py"),
        "--reload-on-rss", "1"});
  EXPECT_TRUE(server_.WaitForLog("is over --reload-on-rss 1 MB: recycling it", 20))
      << server_.Log();
  EXPECT_TRUE(server_.WaitForLog("recycled, exited with code 0; respawning", 20))
      << server_.Log();
  AppInfo r = Ask(port_, "/");
  EXPECT_TRUE(r.ok) << r.raw;
}

// --worker-reload-mercy: a worker that does not finish in time is killed,
// and a quick shutdown (SIGQUIT) does not wait for requests.
TEST_F(Process, MercyKillsAWorkerThatWillNotStop) {
  Boot({"--processes", "1", "--mount", "/=" + App("proc_app.py"),
        "--worker-reload-mercy", "1", "--stats", "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(1)) << server_.Log();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /sleep?30 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(WaitUntilAWorkerIsBusy()) << Stats();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(server_.Signal(SIGTERM));
  EXPECT_EQ(server_.Stop(0, 20), 0) << server_.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_TRUE(server_.LogContains("did not stop within --worker-reload-mercy 1 s: killing it"))
      << server_.Log();
}

TEST_F(Process, SigquitShutsDownWithoutWaiting) {
  Boot({"--processes", "2", "--mount", "/=" + App("proc_app.py"), "--stats",
        "127.0.0.1:0"});
  ASSERT_TRUE(WaitForWorkers(2)) << server_.Log();
  Client c(port_);
  ASSERT_TRUE(c.Send("GET /sleep?30 HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(WaitUntilAWorkerIsBusy()) << Stats();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server_.Stop(SIGQUIT, 20), 0) << server_.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(server_.LogContains("quick shutdown")) << server_.Log();
}

}  // namespace
}  // namespace subhost::testing

// The Python side of the multi-process model: the subhost, uwsgi and
// uwsgidecorators modules in every interpreter, the process identity, and
// Engine::AfterFork in real forked children.
//
// A forked child runs one body on the forking thread, sends its findings
// back through a pipe and _exit()s: it never returns into gtest and never
// finalizes Python. The parent has no other thread running Python when it
// forks.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "subhost/engine.h"
#include "tests/engine/test_support.h"

namespace subhost {
namespace {

using testing::App;
using testing::Get;
using testing::JsonField;
using testing::LogCapture;
using testing::MakeEngine;

constexpr char kSeparator[] = "\n--8<--\n";

struct ChildResult {
  int exit_code = -1;        // 128 + signal when killed
  std::vector<std::string> parts;  // what the body returned, split
};

bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (;;) {
    size_t at = text.find(kSeparator, from);
    parts.push_back(text.substr(from, at - from));
    if (at == std::string::npos) return parts;
    from = at + sizeof(kSeparator) - 1;
  }
}

// Runs body in a forked child; the parts it returns come back to the parent.
ChildResult InChild(const std::function<std::vector<std::string>()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  std::fflush(nullptr);  // or the child flushes the parent's buffers again
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    std::string out;
    try {
      for (const std::string& part : body()) {
        out += (out.empty() ? "" : kSeparator) + part;
      }
    } catch (...) {
      code = 3;
    }
    if (!WriteAll(fds[1], out)) code = 4;
    ::_exit(code);
  }
  ::close(fds[1]);
  ChildResult result;
  if (pid < 0) {
    ::close(fds[0]);
    return result;
  }
  result.parts = Split(ReadAll(fds[0]));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status)
                                       : 128 + WTERMSIG(status);
  return result;
}

std::string StatusText(const Status& s) { return s.ok() ? "ok" : s.message(); }

long InterpreterOf(const Engine& engine, const std::string& mountpoint) {
  for (const MountInfo& m : engine.Mounts()) {
    if (m.mountpoint == mountpoint) return m.interpreter_id;
  }
  return -1;
}

MountOptions InMain() {
  MountOptions o;
  o.main_interpreter = true;
  return o;
}

// The hooks fork_app.py registers, as its /report lists them once run.
std::string BothHooksRan(long interpreter, const std::string& pid) {
  std::string in = std::to_string(interpreter);
  return "[[\"subhost\", " + in + ", " + pid + "], [\"uwsgidecorators\", " +
         in + ", " + pid + "]]";
}

TEST(Fork, ApiModulesImportInSubInterpretersAndTheMainOne) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/main", App("fork_app.py"), InMain()).ok())
      << log.All();
  struct Case {
    const char* path;
    const char* mountpoint;
  };
  for (Case c : {Case{"/x", ""}, Case{"/b/x", "/b"}, Case{"/main/x", "/main"}}) {
    Response r = engine->Handle(Get(c.path));
    ASSERT_EQ(r.status, 200) << c.path << log.All();
    std::string quoted = std::string("\"") + c.mountpoint + "\"";
    EXPECT_EQ(JsonField(r.body, "mount_at_import"), quoted) << r.body;
    EXPECT_EQ(JsonField(r.body, "mount_now"), quoted) << r.body;
    EXPECT_EQ(JsonField(r.body, "interpreter"),
              std::to_string(InterpreterOf(*engine, c.mountpoint)));
    EXPECT_EQ(JsonField(r.body, "decorator_returns_fn"), "true");
    EXPECT_EQ(JsonField(r.body, "rejects_non_callable"), "true");
    EXPECT_EQ(JsonField(r.body, "same_registry"), "true");
    EXPECT_EQ(JsonField(r.body, "uwsgi_opt_is_dict"), "true");
    // Not forked: nothing ran, and this is a single-process server.
    EXPECT_EQ(JsonField(r.body, "ran"), "[]");
    EXPECT_EQ(JsonField(r.body, "worker_id"), "0");
    EXPECT_EQ(JsonField(r.body, "masterpid"), "0");
    EXPECT_EQ(JsonField(r.body, "num_workers"), "1");
    EXPECT_EQ(JsonField(r.body, "uwsgi_worker_id"), "0");
    EXPECT_EQ(JsonField(r.body, "uwsgi_masterpid"), "0");
    EXPECT_EQ(JsonField(r.body, "uwsgi_numproc"), "1");
  }
  EXPECT_EQ(InterpreterOf(*engine, "/main"), 0);
  EXPECT_NE(InterpreterOf(*engine, ""), InterpreterOf(*engine, "/b"));
}

TEST(Fork, UwsgiStandInsNeverHideARealModule) {
  {
    LogCapture log;
    Options options;
    options.python_path = {App("real_uwsgi")};
    auto engine = MakeEngine(log, options);
    ASSERT_TRUE(engine->Mount("/", App("uwsgi_probe.py")).ok()) << log.All();
    std::string body = engine->Handle(Get("/")).body;
    EXPECT_EQ(JsonField(body, "uwsgi_real"), "true") << body;
    // Only uwsgi.py is there: uwsgidecorators is still subhost's.
    EXPECT_EQ(JsonField(body, "uwsgidecorators_real"), "false") << body;
    EXPECT_EQ(JsonField(body, "has_postfork"), "true") << body;
  }
  {
    // A folder named uwsgi would import as an empty namespace package.
    LogCapture log;
    Options options;
    options.python_path = {App("ns_uwsgi")};
    auto engine = MakeEngine(log, options);
    ASSERT_TRUE(engine->Mount("/", App("uwsgi_probe.py")).ok()) << log.All();
    std::string body = engine->Handle(Get("/")).body;
    EXPECT_EQ(JsonField(body, "uwsgi_real"), "false") << body;
    EXPECT_EQ(JsonField(body, "has_worker_id"), "true") << body;
  }
}

TEST(Fork, PostforkHooksRunOnceInTheirOwnInterpreterInAForkedChild) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/main", App("fork_app.py"), InMain()).ok())
      << log.All();
  ChildResult child = InChild([&] {
    std::vector<std::string> out = {StatusText(engine->AfterFork()),
                                    std::to_string(::getpid())};
    for (const char* path : {"/a/", "/b/", "/main/"}) {
      out.push_back(engine->Handle(Get(path)).body);
    }
    return out;
  });
  ASSERT_EQ(child.exit_code, 0);
  ASSERT_EQ(child.parts.size(), 5u);
  EXPECT_EQ(child.parts[0], "ok");
  const std::string& pid = child.parts[1];
  const char* mounts[] = {"/a", "/b", "/main"};
  for (int i = 0; i < 3; ++i) {
    const std::string& body = child.parts[static_cast<size_t>(i) + 2];
    EXPECT_EQ(JsonField(body, "ran"),
              BothHooksRan(InterpreterOf(*engine, mounts[i]), pid))
        << mounts[i] << ": " << body;
  }
  // The parent itself ran no hook.
  EXPECT_EQ(JsonField(engine->Handle(Get("/a/")).body, "ran"), "[]");
  EXPECT_EQ(JsonField(engine->Handle(Get("/main/")).body, "ran"), "[]");
}

// Own-GIL sub-interpreters (3.13+) refuse os.fork() from app code, but a
// fork by the server leaves them usable, hooks and all.
TEST(Fork, PostforkHooksRunInOwnGilInterpretersToo) {
  if (!OwnGilSupported()) {
    GTEST_SKIP() << "own-GIL sub-interpreters need CPython 3.13, this is "
                 << PythonVersion();
  }
  LogCapture log;
  Options options;
  options.own_gil = true;
  auto engine = MakeEngine(log, options);
  ASSERT_TRUE(engine->Mount("/a", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/b", App("fork_app.py")).ok()) << log.All();
  ChildResult child = InChild([&] {
    return std::vector<std::string>{
        StatusText(engine->AfterFork()), std::to_string(::getpid()),
        engine->Handle(Get("/a/")).body, engine->Handle(Get("/b/")).body};
  });
  ASSERT_EQ(child.exit_code, 0);
  ASSERT_EQ(child.parts.size(), 4u);
  EXPECT_EQ(child.parts[0], "ok");
  EXPECT_EQ(JsonField(child.parts[2], "ran"),
            BothHooksRan(InterpreterOf(*engine, "/a"), child.parts[1]));
  EXPECT_EQ(JsonField(child.parts[3], "ran"),
            BothHooksRan(InterpreterOf(*engine, "/b"), child.parts[1]));
}

// Two children forked from the same parent: the same random numbers unless
// AfterFork reseeds them, in sub-interpreters and in the main one alike.
TEST(Fork, AfterForkReseedsRandomInEveryInterpreter) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/sub", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/main", App("fork_app.py"), InMain()).ok())
      << log.All();
  auto draw = [&](bool after_fork) {
    return InChild([&] {
      std::string status = after_fork ? StatusText(engine->AfterFork()) : "ok";
      return std::vector<std::string>{
          status, engine->Handle(Get("/sub/random")).body,
          engine->Handle(Get("/main/random")).body};
    });
  };
  ChildResult plain1 = draw(false), plain2 = draw(false);
  ChildResult seeded1 = draw(true), seeded2 = draw(true);
  for (const ChildResult* c : {&plain1, &plain2, &seeded1, &seeded2}) {
    ASSERT_EQ(c->exit_code, 0);
    ASSERT_EQ(c->parts.size(), 3u);
    EXPECT_EQ(c->parts[0], "ok");
    EXPECT_EQ(c->parts[1].rfind("0.", 0), 0u) << c->parts[1];
  }
  // Without it the test would fail: fork() copied the generator's state.
  EXPECT_EQ(plain1.parts[1], plain2.parts[1]);
  EXPECT_EQ(plain1.parts[2], plain2.parts[2]);
  EXPECT_NE(seeded1.parts[1], seeded2.parts[1]);
  EXPECT_NE(seeded1.parts[2], seeded2.parts[2]);
}

TEST(Fork, AHookThatRaisesIsLoggedAndTheOthersStillRun) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/bad", App("fork_bad_hook.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/good", App("fork_app.py")).ok()) << log.All();
  ChildResult child = InChild([&] {
    Status s = engine->AfterFork();
    return std::vector<std::string>{
        s.ok() ? "ok" : "failed", s.message(), std::to_string(::getpid()),
        engine->Handle(Get("/bad/")).body, engine->Handle(Get("/good/")).body,
        log.All()};
  });
  ASSERT_EQ(child.exit_code, 0);
  ASSERT_EQ(child.parts.size(), 6u);
  EXPECT_EQ(child.parts[0], "failed");
  const std::string& message = child.parts[1];
  EXPECT_NE(message.find("mount '/bad'"), std::string::npos) << message;
  EXPECT_NE(message.find("'boom'"), std::string::npos) << message;
  EXPECT_NE(message.find("ValueError: boom from postfork"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("/good"), std::string::npos) << message;
  // The next hook of the same app, and the other app's, ran; the engine
  // still serves.
  EXPECT_EQ(JsonField(child.parts[3], "ran"), "[\"after_boom\"]")
      << child.parts[3];
  EXPECT_EQ(JsonField(child.parts[4], "ran"),
            BothHooksRan(InterpreterOf(*engine, "/good"), child.parts[2]))
      << child.parts[4];
  const std::string& child_log = child.parts[5];
  EXPECT_NE(child_log.find("[mount '/bad'] Traceback (most recent call last)"),
            std::string::npos)
      << child_log;
  EXPECT_NE(child_log.find("raise ValueError('boom from postfork')"),
            std::string::npos)
      << child_log;
}

TEST(Fork, ProcessIdentityReachesEveryInterpreter) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/sub", App("fork_app.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/main", App("fork_app.py"), InMain()).ok())
      << log.All();
  ChildResult child = InChild([&] {
    SetProcessIdentity(3, static_cast<int>(::getppid()), 4);
    return std::vector<std::string>{StatusText(engine->AfterFork()),
                                    engine->Handle(Get("/sub/")).body,
                                    engine->Handle(Get("/main/")).body};
  });
  ASSERT_EQ(child.exit_code, 0);
  ASSERT_EQ(child.parts.size(), 3u);
  EXPECT_EQ(child.parts[0], "ok");
  std::string parent = std::to_string(::getpid());
  for (size_t i : {1u, 2u}) {
    const std::string& body = child.parts[i];
    EXPECT_EQ(JsonField(body, "worker_id"), "3") << body;
    EXPECT_EQ(JsonField(body, "masterpid"), parent) << body;
    EXPECT_EQ(JsonField(body, "num_workers"), "4") << body;
    EXPECT_EQ(JsonField(body, "uwsgi_worker_id"), "3") << body;
    EXPECT_EQ(JsonField(body, "uwsgi_masterpid"), parent) << body;
    EXPECT_EQ(JsonField(body, "uwsgi_numproc"), "4") << body;
  }
  // The parent's identity did not change.
  EXPECT_EQ(JsonField(engine->Handle(Get("/sub/")).body, "worker_id"), "0");
}

TEST(Fork, ThreadsAtLoadNamesThreadsAnImportStarted) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/t", App("fork_threads.py")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/plain", App("plain.wsgi")).ok()) << log.All();
  ASSERT_TRUE(engine->Mount("/tm", App("fork_threads.py"), InMain()).ok())
      << log.All();
  // Loaded after /tm in the same (main) interpreter: /tm's thread is not its.
  ASSERT_TRUE(engine->Mount("/pm", App("plain.wsgi"), InMain()).ok())
      << log.All();
  std::vector<MountInfo> mounts = engine->Mounts();
  // A live daemon thread would abort the end of its interpreter.
  EXPECT_EQ(engine->Handle(Get("/t/stop")).body, "stopped");
  EXPECT_EQ(engine->Handle(Get("/tm/stop")).body, "stopped");
  ASSERT_EQ(mounts.size(), 4u);
  for (size_t i : {0u, 2u}) {
    ASSERT_EQ(mounts[i].threads_at_load.size(), 1u) << mounts[i].mountpoint;
    const std::string& thread = mounts[i].threads_at_load[0];
    EXPECT_EQ(thread.rfind("Thread-", 0), 0u) << thread;
    EXPECT_NE(thread.find(" (worker) daemon ident="), std::string::npos)
        << thread;
  }
  EXPECT_TRUE(mounts[1].threads_at_load.empty());
  EXPECT_TRUE(mounts[3].threads_at_load.empty())
      << mounts[3].threads_at_load[0];
}

TEST(Fork, AfterForkIsRefusedOffTheOwnerThread) {
  LogCapture log;
  auto engine = MakeEngine(log);
  ASSERT_TRUE(engine->Mount("/a", App("fork_app.py")).ok()) << log.All();
  Status s;
  std::thread([&] { s = engine->AfterFork(); }).join();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("owner thread"), std::string::npos);
}

}  // namespace
}  // namespace subhost

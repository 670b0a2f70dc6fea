// `subhost --check-config` over uwsgi.ini files written as real projects
// write them, and a real server started from one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

const std::string kFixtures = std::string(SUBHOST_TEST_CONFIGS);

// Runs `env... subhost --check-config args` (no shell expansion of args).
std::string CheckConfig(const std::string& env, const std::string& args,
                        int* status) {
  return Shell(
      "env -u DEV -u MODE -u PORT -u UWSGI_PROCESSES -u "
      "UWSGI_THREADS " +
          env + " " + SUBHOST_BINARY + " --check-config " + args + " 2>&1",
      status);
}

// The effective-configuration row for key whose value is value.
bool HasRow(const std::string& report, const std::string& key,
            const std::string& value) {
  std::string needle = "  " + key;
  needle.resize(std::max<size_t>(needle.size(), 26), ' ');
  needle += " = " + value;
  return report.find(needle) != std::string::npos;
}

TEST(CheckConfig, EveryFixtureFilePassesAndPrintsItsConfiguration) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".ini") continue;
    ++files;
    int status = -1;
    std::string out = CheckConfig("", path, &status);
    if (entry.path().filename() == "privileges.ini" && ::geteuid() == 0) {
      EXPECT_EQ(status, 1) << out;
      EXPECT_NE(out.find("configuration error: uid = www-data (" + path +
                         ":5): subhost does not switch user"),
                std::string::npos)
          << out;
      continue;
    }
    EXPECT_EQ(status, 0) << path << "\n" << out;
    EXPECT_NE(out.find("effective configuration"), std::string::npos) << out;
    EXPECT_NE(out.find("\nconfiguration OK\n"), std::string::npos) << out;
  }
  EXPECT_GE(files, 6);
}

TEST(CheckConfig, PlaceholdersEnvironmentAndCommentsGiveTheRightValues) {
  int status = -1;
  std::string out = CheckConfig("", kFixtures + "/django_project.ini", &status);
  ASSERT_EQ(status, 0) << out;
  const std::string file = kFixtures + "/django_project.ini";
  EXPECT_TRUE(HasRow(out, "chdir", "/srv/mysite/src")) << out;
  EXPECT_TRUE(HasRow(out, "module", "mysite.wsgi:application")) << out;
  EXPECT_TRUE(HasRow(out, "socket", "/run/uwsgi/mysite.sock")) << out;
  EXPECT_TRUE(HasRow(out, "buffer-size", "32768")) << out;
  EXPECT_NE(out.find("(" + file + ":6)"), std::string::npos) << out;
  EXPECT_NE(out.find(file + ":44: buffer-size: read as 32768; the text "
                            "after the number ('# large cookies') is ignored"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pidfile (" + file + ":27): no pidfile is written yet"),
            std::string::npos)
      << out;

  out = CheckConfig("PORT=9999 UWSGI_PROCESSES=6",
                    kFixtures + "/flask_docker.ini", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(HasRow(out, "http-socket", ":9999")) << out;
  EXPECT_TRUE(HasRow(out, "processes", "6")) << out;
  EXPECT_TRUE(HasRow(out, "threads", "4")) << out;  // $(UWSGI_THREADS-4)
  EXPECT_TRUE(HasRow(out, "socket-timeout", "120")) << out;  // http-timeout
  out = CheckConfig("", kFixtures + "/flask_docker.ini", &status);
  EXPECT_TRUE(HasRow(out, "http-socket", ":8080")) << out;
  EXPECT_TRUE(HasRow(out, "processes", "2")) << out;
}

TEST(CheckConfig, ConditionalsFollowTheEnvironment) {
  int status = -1;
  const std::string file = kFixtures + "/conditionals.ini";
  std::string prod = CheckConfig("", file, &status);
  ASSERT_EQ(status, 0) << prod;
  EXPECT_TRUE(HasRow(prod, "processes", "3")) << prod;
  EXPECT_TRUE(HasRow(prod, "harakiri", "60")) << prod;
  EXPECT_TRUE(HasRow(prod, "listen", "256")) << prod;  // (3 + 1) * 64
  EXPECT_TRUE(HasRow(prod, "socket", "127.0.0.1:9101")) << prod;
  EXPECT_TRUE(HasRow(prod, "socket", "127.0.0.1:9102")) << prod;
  EXPECT_TRUE(HasRow(prod, "env", "CONFIG_DIR=" + file)) << prod;
  EXPECT_FALSE(HasRow(prod, "threads", "99")) << prod;
  EXPECT_EQ(prod.find("py-autoreload"), std::string::npos) << prod;

  std::string dev = CheckConfig("DEV=yes MODE=batch", file, &status);
  ASSERT_EQ(status, 0) << dev;
  EXPECT_TRUE(HasRow(dev, "threads", "8")) << dev;
  EXPECT_TRUE(HasRow(dev, "processes", "1")) << dev;  // the default
  EXPECT_NE(dev.find("  development mode for yes\n"), std::string::npos) << dev;
  EXPECT_NE(dev.find("py-autoreload (" + file + ":8)"), std::string::npos)
      << dev;
}

TEST(CheckConfig, IncludesAndSectionsComeTogether) {
  int status = -1;
  std::string out = CheckConfig("", kFixtures + "/includes.ini", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_TRUE(HasRow(out, "master", "true")) << out;
  EXPECT_TRUE(HasRow(out, "processes", "2")) << out;  // [extra] of base
  EXPECT_TRUE(HasRow(out, "chdir", "/opt/app")) << out;
  EXPECT_TRUE(HasRow(out, "harakiri", "15")) << out;
  EXPECT_FALSE(HasRow(out, "threads", "3")) << out;
}

TEST(CheckConfig, AnErrorIsReportedWithFileAndLineAndExitsOne) {
  ServerProcess scratch;  // for its folder
  const std::string bad = scratch.dir() + "/bad.ini";
  std::ofstream(bad) << "[uwsgi]\nhttp-socket = :1\nmodule = a:b\n"
                        "threads = many\n";
  int status = -1;
  std::string out = CheckConfig("", bad, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("configuration error: " + bad +
                     ":4: threads: 'many' is not a number"),
            std::string::npos)
      << out;
  // Validation errors too, and the flag may come after the bad one.
  out = Shell(std::string(SUBHOST_BINARY) + " --threads x --check-config 2>&1",
              &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("configuration error: --threads: 'x' is not a number"),
            std::string::npos)
      << out;
  out = Shell(std::string(SUBHOST_BINARY) + " --check-config --threads 2 2>&1",
              &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("configuration error: no listener"), std::string::npos)
      << out;
}

// A uwsgi.ini as people write it starts a real server: placeholders,
// $(ENV), if-env, trailing comments and options subhost only notes.
TEST(CheckConfig, AUwsgiStyleIniStartsARealServerWithGroupedNotes) {
  ServerProcess server;
  const std::string ini = server.dir() + "/uwsgi.ini";
  std::ofstream(ini) << "[uwsgi]\n"
                        "apps = " SUBHOST_TEST_APPS
                        "\n"
                        "http-socket = 127.0.0.1:$(SUBHOST_T_PORT:-0)\n"
                        "mount = /=%(apps)/server_app.py\n"
                        "threads = 2  # per worker\n"
                        "pidfile = /tmp/never-written.pid\n"
                        "memory-report = true\n"
                        "if-env = SUBHOST_T_FLAG\n"
                        "mount = /pep=%(apps)/pep3333.py\n"
                        "endif =\n";
  server.SetEnv("SUBHOST_T_FLAG", "on");
  ASSERT_TRUE(server.Start({ini})) << server.Log();
  Client c(server.Port());
  c.Send(
      "GET /pep/environ_view HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string r = c.ReadUntilClose();
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_TRUE(server.LogContains(
      "uWSGI options subhost does not support (accepted; what to use "
      "instead):\n  pidfile (" +
      ini + ":6): "))
      << server.Log();
  EXPECT_TRUE(
      server.LogContains("uWSGI options accepted and ignored (no effect "
                         "here):\n  memory-report (" +
                         ini + ":7): "))
      << server.Log();
  EXPECT_TRUE(server.LogContains("  apps (" + ini +
                                 ":2): not an option; kept as a placeholder"))
      << server.Log();
  EXPECT_TRUE(server.LogContains(ini + ":5: threads: read as 2"))
      << server.Log();
  EXPECT_FALSE(std::filesystem::exists("/tmp/never-written.pid"));
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace subhost::testing

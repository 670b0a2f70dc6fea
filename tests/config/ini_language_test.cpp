// uWSGI's ini language: placeholders, variables, magic variables,
// conditionals, loops, includes, lenient numbers, other formats, and the
// uWSGI options real configs set.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/config/server_config.h"
#include "tests/config/config_test_support.h"

namespace subhost::config {
namespace {

using namespace testing_support;  // NOLINT: the tests' own helpers

using IniLanguage = IniTest;

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

const ConfigNote* FindNote(const ServerConfig& c, NoteGroup group,
                           std::string_view key) {
  for (const ConfigNote& n : c.notes) {
    if (n.group == group && n.key == key) return &n;
  }
  return nullptr;
}

TEST_F(IniLanguage, UnknownKeysArePlaceholdersForLaterLines) {
  const std::string path = Write("p.ini",
                                 "[uwsgi]\n"
                                 "base = /srv/app\n"
                                 "project = mysite\n"
                                 "chdir = %(base)/src\n"
                                 "module = %(project).wsgi:application\n"
                                 "set-ph = port=8001\n"
                                 "http-socket = 127.0.0.1:%(port)\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.chdir, "/srv/app/src");
  EXPECT_EQ(c.mounts,
            (std::vector<MountSpecText>{{"/", "mysite.wsgi:application"}}));
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kHttp, "127.0.0.1:8001"}}));
  ASSERT_NE(FindNote(c, NoteGroup::kPlaceholder, "base"), nullptr);
  EXPECT_EQ(FindNote(c, NoteGroup::kPlaceholder, "base")->where, path + ":2");
  EXPECT_NE(FindNote(c, NoteGroup::kPlaceholder, "project"), nullptr);
  // set-ph says it on purpose: no note.
  EXPECT_EQ(FindNote(c, NoteGroup::kPlaceholder, "port"), nullptr);
}

TEST_F(IniLanguage, APlaceholderMayNameAnOptionAndDoArithmetic) {
  const std::string path = Write("m.ini",
                                 "[uwsgi]\n"
                                 "processes = 4\n"
                                 "workers_plus = %(processes + 2)\n"
                                 "threads = %(workers_plus * 2 ++)\n"
                                 "a = 2\n"
                                 "b = 9\n"
                                 "listen = %(a b)\n"
                                 "chdir = /x/%(processes)\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 13);         // ((4 + 2) * 2) + 1, left to right
  EXPECT_EQ(c.listen_backlog, 29);  // no operator: the text is joined
  EXPECT_EQ(c.chdir, "/x/4");
}

TEST_F(IniLanguage, AnUndefinedPlaceholderStaysAsWrittenWithANote) {
  const std::string path = Write("u.ini", "[uwsgi]\nchdir = %(nowhere)/src\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.chdir, "%(nowhere)/src");
  const ConfigNote* note = FindNote(c, NoteGroup::kLanguage, "%(nowhere)");
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->where, path + ":2");
}

TEST_F(IniLanguage, EnvironmentVariablesExpandWithTheirDefaults) {
  ScopedEnv processes("SUBHOST_T_PROCESSES", "3");
  ScopedEnv empty("SUBHOST_T_EMPTY", "");
  ScopedEnv unset("SUBHOST_T_UNSET", nullptr);
  const std::string path = Write("e.ini",
                                 "[uwsgi]\n"
                                 "processes = $(SUBHOST_T_PROCESSES)\n"
                                 "threads = $(SUBHOST_T_UNSET:-5)\n"
                                 "env = A=$(SUBHOST_T_EMPTY:-fallback)\n"
                                 "env = B=$(SUBHOST_T_EMPTY-kept-empty)\n"
                                 "env = C=[$(SUBHOST_T_UNSET)]\n"
                                 "env = D=$(SUBHOST_T_UNSET-unset)\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.processes, 3);
  EXPECT_EQ(c.threads, 5);
  EXPECT_EQ(c.env,
            (std::vector<std::pair<std::string, std::string>>{
                {"A", "fallback"}, {"B", ""}, {"C", "[]"}, {"D", "unset"}}));
}

TEST_F(IniLanguage, AnEmptyNumberAfterExpansionIsAnErrorNamingTheLine) {
  ScopedEnv unset("SUBHOST_T_UNSET", nullptr);
  const std::string path =
      Write("n.ini", "[uwsgi]\nprocesses = $(SUBHOST_T_UNSET)\n");
  EXPECT_EQ(LoadError(path), path +
                                 ":2: processes: '$(SUBHOST_T_UNSET)' is "
                                 "empty once expanded");
}

TEST_F(IniLanguage, CommandLineValuesExpandToo) {
  ScopedEnv port("SUBHOST_T_PORT", "9123");
  const ServerConfig c =
      Parsed({"--set-ph", "base=/srv", "--chdir", "%(base)/app",
              "--http-socket", ":$(SUBHOST_T_PORT)"});
  EXPECT_EQ(c.chdir, "/srv/app");
  EXPECT_EQ(c.listeners, (std::vector<ListenSpec>{{Proto::kHttp, ":9123"}}));
}

TEST_F(IniLanguage, AtFileReadsAFilesContent) {
  Write("name.txt", "from-a-file\n");
  const std::string path = Write("f.ini",
                                 "[uwsgi]\n"
                                 "procname = x\n"
                                 "chdir = /srv/@(" +
                                     dir_ + "/name.txt)\n");
  EXPECT_EQ(Loaded(path).chdir, "/srv/from-a-file");
  const std::string bad =
      Write("g.ini", "[uwsgi]\nchdir = @(" + dir_ + "/missing.txt)\n");
  EXPECT_TRUE(Contains(LoadError(bad), bad + ":2: chdir: @(" + dir_ +
                                           "/missing.txt): cannot read it"));
}

TEST_F(IniLanguage, MagicVariablesDescribeTheFileBeingRead) {
  const std::string path = Write("myapp.ini",
                                 "[uwsgi]\n"
                                 "socket = /tmp/%n.sock\n"
                                 "env = P=%p\n"
                                 "env = S=%s\n"
                                 "env = E=%e\n"
                                 "env = X=%x\n"
                                 "env = K=%k\n"
                                 "env = U=%u/%g\n"
                                 "env = ESC=%[\n"
                                 "env = H=%h\n"
                                 "env = O=%o\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kUwsgi, "/tmp/myapp.sock"}}));
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(
      c.env,
      (std::vector<std::pair<std::string, std::string>>{
          {"P", path},
          {"S", "myapp.ini"},
          {"E", "ini"},
          {"X", path + ":uwsgi"},
          {"K", std::to_string(std::thread::hardware_concurrency())},
          {"U", std::to_string(::getuid()) + "/" + std::to_string(::getgid())},
          {"ESC", "\033"},
          {"H", host},
          {"O", path}}));
  // %c and %0..: the directory's name and its path components.
  const std::string dir_name = std::filesystem::path(dir_).filename().string();
  const std::string q = Write("q.ini", "[uwsgi]\nenv = C=%c\nenv = Z=%0\n");
  EXPECT_EQ(Loaded(q).env, (std::vector<std::pair<std::string, std::string>>{
                               {"C", dir_name}, {"Z", "tmp"}}));
}

TEST_F(IniLanguage, IfEnvBlocksTestTheEnvironment) {
  ScopedEnv debug("SUBHOST_T_DEBUG", "1");
  ScopedEnv mode("SUBHOST_T_MODE", "prod");
  ScopedEnv unset("SUBHOST_T_UNSET", nullptr);
  const std::string path = Write("i.ini",
                                 "[uwsgi]\n"
                                 "if-env = SUBHOST_T_DEBUG\n"
                                 "threads = 2\n"
                                 "env = SEEN=%(_)\n"
                                 "endif =\n"
                                 "if-not-env = SUBHOST_T_DEBUG\n"
                                 "threads = 99\n"
                                 "endif\n"
                                 "if-env = SUBHOST_T_MODE=prod\n"
                                 "processes = 4\n"
                                 "endif =\n"
                                 "if-env = SUBHOST_T_MODE=dev\n"
                                 "processes = 9\n"
                                 "endif =\n"
                                 "if-env = SUBHOST_T_UNSET\n"
                                 "harakiri = 9\n"
                                 "endif =\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.processes, 4);
  EXPECT_EQ(c.harakiri, 0);
  EXPECT_EQ(c.env,
            (std::vector<std::pair<std::string, std::string>>{{"SEEN", "1"}}));
}

TEST_F(IniLanguage, IfExistsFileDirAndOptBlocksNest) {
  const std::string file = Write("present.txt", "x");
  const std::string path = Write("x.ini",
                                 "[uwsgi]\n"
                                 "master = true\n"
                                 "if-exists = " +
                                     file +
                                     "\n"
                                     "  if-file = " +
                                     file +
                                     "\n"
                                     "    if-dir = " +
                                     dir_ +
                                     "\n"
                                     "      threads = 3\n"
                                     "    endif =\n"
                                     "    if-not-dir = " +
                                     file +
                                     "\n"
                                     "      chdir = %(_)\n"
                                     "    endif =\n"
                                     "  endif =\n"
                                     "endif =\n"
                                     "if-not-exists = " +
                                     dir_ +
                                     "/nothing\n"
                                     "processes = 2\n"
                                     "endif =\n"
                                     "if-opt = master=true\n"
                                     "listen = 50\n"
                                     "endif =\n"
                                     "if-not-opt = lazy-apps\n"
                                     "harakiri = 7\n"
                                     "endif =\n"
                                     "if-file = " +
                                     dir_ +
                                     "\n"
                                     "harakiri = 99\n"
                                     "endif =\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.chdir, file);
  EXPECT_EQ(c.processes, 2);
  EXPECT_EQ(c.listen_backlog, 50);
  EXPECT_EQ(c.harakiri, 7);
}

TEST_F(IniLanguage, ForRepeatsItsLinesForEachWord) {
  const std::string path = Write("for.ini",
                                 "[uwsgi]\n"
                                 "for = 9001 9002 9003\n"
                                 "socket = 127.0.0.1:%(_)\n"
                                 "endfor =\n"
                                 "http-socket = :8000\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kUwsgi, "127.0.0.1:9001"},
                                     {Proto::kUwsgi, "127.0.0.1:9002"},
                                     {Proto::kUwsgi, "127.0.0.1:9003"},
                                     {Proto::kHttp, ":8000"}}));
}

TEST_F(IniLanguage, UnbalancedBlocksAreErrorsNamingTheLine) {
  const std::string open =
      Write("o.ini", "[uwsgi]\nif-env = HOME\nthreads = 2\n");
  EXPECT_EQ(LoadError(open), open + ":2: if-env has no matching endif");
  const std::string stray = Write("s.ini", "[uwsgi]\nthreads = 2\nendif =\n");
  EXPECT_EQ(LoadError(stray), stray + ":3: endif without a block to close");
  const std::string odd = Write("w.ini", "[uwsgi]\nif-moon = full\nendif =\n");
  EXPECT_EQ(LoadError(odd), odd + ":2: unknown conditional 'if-moon'");
}

TEST_F(IniLanguage, NumbersFollowedByACommentReadAsUwsgiReadsThem) {
  const std::string path = Write("c.ini",
                                 "[uwsgi]\n"
                                 "buffer-size = 32768  # larger headers\n"
                                 "processes = 4 ; workers\n"
                                 "master = true   # supervise\n"
                                 "module = app:app  # the app\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.buffer_size, 32768u);
  EXPECT_EQ(c.processes, 4);
  EXPECT_TRUE(c.master);
  // A text value keeps its tail, as in uWSGI, and a note says so.
  EXPECT_EQ(c.mounts,
            (std::vector<MountSpecText>{{"/", "app:app  # the app"}}));
  const ConfigNote* size = FindNote(c, NoteGroup::kLanguage, "buffer-size");
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->where, path + ":2");
  EXPECT_TRUE(Contains(size->text, "read as 32768"));
  EXPECT_TRUE(Contains(size->text, "'# larger headers'"));
  EXPECT_NE(FindNote(c, NoteGroup::kLanguage, "processes"), nullptr);
  EXPECT_NE(FindNote(c, NoteGroup::kLanguage, "master"), nullptr);
  EXPECT_NE(FindNote(c, NoteGroup::kLanguage, "module"), nullptr);
  // Still no number at all: an error.
  const std::string bad = Write("b.ini", "[uwsgi]\nprocesses = four\n");
  EXPECT_EQ(LoadError(bad), bad + ":2: processes: 'four' is not a number");
  // The command line stays strict.
  EXPECT_EQ(ParseError({"--processes", "4 workers"}),
            "--processes: '4 workers' is not a number");
}

TEST_F(IniLanguage, ColonLinesAndIndentedKeysGetNotes) {
  const std::string path = Write("k.ini",
                                 "[uwsgi]\n"
                                 "http-timeout : 60\n"
                                 "   threads = 3\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 3);         // indented keys are keys, as in uWSGI
  EXPECT_EQ(c.socket_timeout, 4);  // the colon line set nothing
  std::vector<std::string> lines = NoteLines(c);
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  EXPECT_TRUE(Contains(all, path + ":2: 'http-timeout : 60': has no '='"));
  EXPECT_TRUE(Contains(all, path + ":3: threads: indented"));
}

TEST_F(IniLanguage, IncludesInheritAndSectionsOfTheLastFile) {
  Write("base.ini",
        "[uwsgi]\nthreads = 6\nbase_dir = /srv\n"
        "[extra]\nprocesses = 3\n");
  const std::string path = Write("top.ini",
                                 "[uwsgi]\n"
                                 "inherit = %dbase.ini\n"
                                 "chdir = %(base_dir)/top\n"
                                 "ini = :extra\n"
                                 "include = %dlocal.ini\n"
                                 "[local]\n");
  Write("local.ini", "[uwsgi]\nharakiri = 5\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 6);
  EXPECT_EQ(c.chdir, "/srv/top");  // placeholders cross files
  EXPECT_EQ(c.processes, 3);       // ":extra" of base.ini, the last file read
  EXPECT_EQ(c.harakiri, 5);
  const ServerConfig s = Loaded(path.substr(0), "local");
  EXPECT_EQ(s.threads, 1);
}

TEST_F(IniLanguage, SetAppliesAnOptionOrDefinesAPlaceholder) {
  const ServerConfig c =
      Parsed({"--set", "threads=7", "--set", "who=me", "--chdir", "/%(who)"});
  EXPECT_EQ(c.threads, 7);
  EXPECT_EQ(c.chdir, "/me");
  EXPECT_EQ(ParseError({"--set", "threads=lots"}),
            "--set: threads: 'lots' is not a number");
}

TEST_F(IniLanguage, PrintGoesToTheLog) {
  const std::string path =
      Write("pr.ini", "[uwsgi]\nproject = demo\nprint = starting %(project)\n");
  std::vector<std::string> lines = NoteLines(Loaded(path));
  EXPECT_NE(std::find(lines.begin(), lines.end(), "starting demo"),
            lines.end());
}

TEST_F(IniLanguage, StrictRefusesKeysThatAreNotOptionsWhereverStrictIs) {
  const std::string path = Write("st.ini",
                                 "[uwsgi]\n"
                                 "http-socket = :9\n"
                                 "module = a:b\n"
                                 "bogus-key = 1\n"
                                 "set-ph = fine=1\n"
                                 "strict = true\n");
  ServerConfig c = Loaded(path);
  EXPECT_TRUE(c.strict);
  std::string error;
  EXPECT_FALSE(Validate(c, &error));
  EXPECT_TRUE(
      Contains(error, "strict: not options: 'bogus-key' (" + path + ":4)"));
  c.strict = false;
  EXPECT_TRUE(Validate(c, &error)) << error;
}

TEST_F(IniLanguage, ProtocolHttpMakesSocketListenersSpeakHttp) {
  const std::string path = Write("pro.ini",
                                 "[uwsgi]\n"
                                 "socket = :8000\n"
                                 "protocol = http\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.listeners, (std::vector<ListenSpec>{{Proto::kHttp, ":8000"}}));
  const std::string bad = Write("bad.ini", "[uwsgi]\nprotocol = fastcgi\n");
  EXPECT_TRUE(Contains(LoadError(bad),
                       bad + ":2: protocol: 'fastcgi' is not supported"));
}

// The one error that is several lines: it carries the file's ini form.
std::string FormatError(const std::vector<std::string>& args) {
  ServerConfig config;
  std::string error;
  EXPECT_FALSE(Parse(args, &config, &error));
  return error;
}

TEST_F(IniLanguage, OtherFormatsAreRefusedWithTheirIniForm) {
  const std::string json = Write(
      "app.json",
      R"({"uwsgi": {"socket": ["/tmp/a.sock", ":8000"], "master": true, "workers": 3}})");
  std::string e = FormatError({"--json", json});
  EXPECT_TRUE(Contains(e, "subhost reads ini files only"));
  EXPECT_TRUE(Contains(e,
                       "[uwsgi]\nmaster = true\nsocket = /tmp/a.sock\nsocket = "
                       ":8000\nworkers = 3\n"));
  const std::string yaml = Write("app.yaml",
                                 "uwsgi:\n"
                                 "  socket: /tmp/y.sock\n"
                                 "  master: 1\n"
                                 "  env:\n"
                                 "    - A=1\n"
                                 "    - B=2\n");
  e = FormatError({yaml});
  EXPECT_TRUE(Contains(
      e, "[uwsgi]\nsocket = /tmp/y.sock\nmaster = 1\nenv = A=1\nenv = B=2\n"));
  const std::string xml = Write("app.xml",
                                "<uwsgi><socket>/tmp/x.sock</socket><master/>"
                                "<workers>3</workers></uwsgi>");
  e = FormatError({"--xml", xml});
  EXPECT_TRUE(Contains(
      e, "[uwsgi]\nsocket = /tmp/x.sock\nmaster = true\nworkers = 3\n"));
  const std::string broken = Write("broken.json", "{not json");
  e = FormatError({"--json", broken});
  EXPECT_TRUE(Contains(e, "could not be shown in ini form"));
}

// The keys real uwsgi.ini files use (the sample behind the compatibility
// work): each is an option subhost knows, so none becomes a placeholder.
TEST(UwsgiOptions, EveryKeyRealConfigsUseIsKnown) {
  const std::vector<std::string_view> keys = {
      "pidfile", "logto", "daemonize", "static-map", "gevent", "memory-report",
      "http-timeout", "chown-socket", "log-maxsize", "harakiri-verbose",
      "cheaper", "offload-threads", "py-autoreload", "log-date", "log-4xx",
      "log-5xx", "logger", "disable-write-exception", "log-format",
      "log-master", "attach-daemon", "http-keepalive", "max-worker-lifetime",
      "cheaper-initial", "log-backupname", "ignore-sigpipe",
      "ignore-write-errors", "vhost", "protocol", "static-safe", "log-reopen",
      "log-route", "log-encoder", "hook-master-start", "no-default-app",
      "wsgi-disable-file-wrapper", "static-gzip-all", "max-requests-delta",
      "reload-mercy", "no-orphans", "http-enable-proxy-protocol", "emperor",
      "log-slow", "req-logger", "import", "gevent-early-monkey-patch",
      "honour-stdin", "http-auto-chunked", "log-x-forwarded-for", "master-fifo",
      "uid", "gid", "strict", "ini", "inherit", "include", "set-ph",
      "set-placeholder", "print", "yaml", "json", "xml",
      // COMPAT.md's table.
      "http-socket", "http", "socket", "listen", "chmod-socket", "vacuum",
      "wsgi-file", "file", "module", "callable", "mount", "manage-script-name",
      "single-interpreter", "chdir", "pythonpath", "home", "virtualenv", "env",
      "need-app", "processes", "workers", "threads", "master", "lazy-apps",
      "max-requests", "harakiri", "reload-on-rss", "worker-reload-mercy",
      "touch-reload", "touch-chain-reload", "stats", "stats-http",
      "enable-threads", "plugins", "die-on-term", "buffer-size",
      "post-buffering", "limit-post", "socket-timeout", "disable-logging",
      "thunder-lock"};
  std::set<std::string_view> known;
  for (const OptionInfo& option : Options()) {
    known.insert(option.name);
    for (std::string_view alias : option.aliases) {
      if (!alias.empty()) known.insert(alias);
    }
  }
  for (std::string_view key : keys) EXPECT_TRUE(known.contains(key)) << key;
}

// The README's compatibility table has a row for every uWSGI option the
// table knows, so the two cannot drift apart.
TEST(UwsgiOptions, TheReadmeTableHasARowForEachOne) {
  std::ifstream in(SUBHOST_README);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string readme = ss.str();
  ASSERT_FALSE(readme.empty());
  for (const OptionInfo& option : Options()) {
    if (option.origin.find("uWSGI") == std::string_view::npos) continue;
    EXPECT_TRUE(Contains(readme, "\n| `" + std::string(option.name) + "`"))
        << option.name;
  }
}

TEST(UwsgiOptions, UnsupportedOptionsStartWithGroupedNotesSayingWhatToUse) {
  const ServerConfig c =
      Parsed({"--pidfile", "/tmp/p", "--gevent", "100", "--memory-report",
              "--http-timeout", "30", "--reload-mercy", "9"});
  EXPECT_EQ(c.socket_timeout, 30);
  EXPECT_EQ(c.worker_reload_mercy, 9);
  std::vector<std::string> lines = NoteLines(c);
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  EXPECT_TRUE(
      Contains(all,
               "uWSGI options mapped onto subhost's nearest behaviour:\n"
               "  http-timeout (command line): sets --socket-timeout"));
  EXPECT_TRUE(Contains(all,
                       "uWSGI options accepted and ignored (no effect here):\n"
                       "  memory-report (command line): "));
  EXPECT_TRUE(
      Contains(all, "  pidfile (command line): no pidfile is written yet"));
  EXPECT_TRUE(
      Contains(all,
               "  gevent (command line): subhost holds idle connections "
               "in its event loop; use --threads"));
}

TEST(UwsgiOptions, AsRootUidAndGidRefuseToStartRatherThanRunAppsAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  ServerConfig c =
      Parsed({"--http-socket", ":1", "--module", "a:b", "--uid", "www-data"});
  std::string error;
  EXPECT_FALSE(Validate(c, &error));
  EXPECT_TRUE(Contains(error,
                       "uid = www-data (command line): subhost does not "
                       "switch user or group yet"));
}

}  // namespace
}  // namespace subhost::config

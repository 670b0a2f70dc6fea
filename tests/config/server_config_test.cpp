#include "engine/config/server_config.h"
#include "tests/config/config_test_support.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subhost::config {
namespace {

using namespace testing_support;  // NOLINT: the tests' own helpers

std::string ValidateError(const ServerConfig& config) {
  std::string error;
  EXPECT_FALSE(Validate(config, &error));
  EXPECT_NE(error, "");
  EXPECT_EQ(error.find('\n'), std::string::npos) << "not one line: " << error;
  return error;
}


// --- the command line --------------------------------------------------------

TEST(CommandLine, NoArgumentsLeaveTheDefaults) {
  const ServerConfig c = Parsed({});
  EXPECT_TRUE(c.listeners.empty());
  EXPECT_TRUE(c.mounts.empty());
  EXPECT_EQ(c.callable, "application");
  EXPECT_EQ(c.threads, 1);
  EXPECT_EQ(c.processes, 1);
  EXPECT_EQ(c.listen_backlog, 100);
  EXPECT_EQ(c.buffer_size, 4096u);
  EXPECT_EQ(c.limit_post, 0);
  EXPECT_EQ(c.post_buffering, 65536);
  EXPECT_EQ(c.socket_timeout, 4);
  EXPECT_EQ(c.chmod_socket, "");
  EXPECT_TRUE(c.notes.empty());
}

TEST(CommandLine, HttpSocketAndSocketAddListenersInOrder) {
  const ServerConfig c =
      Parsed({"--http-socket", ":9090", "--socket=/tmp/s.sock", "-s",
              "127.0.0.1:3031", "--uwsgi-socket", "[::1]:3032",
              "--http-socket=[::1]:9091"});
  EXPECT_EQ(c.listeners, (std::vector<ListenSpec>{
                             {Proto::kHttp, ":9090"},
                             {Proto::kUwsgi, "/tmp/s.sock"},
                             {Proto::kUwsgi, "127.0.0.1:3031"},
                             {Proto::kUwsgi, "[::1]:3032"},
                             {Proto::kHttp, "[::1]:9091"},
                         }));
  EXPECT_TRUE(c.notes.empty());
}

TEST(CommandLine, HttpIsAnHttpListenerWithOneNoteExplainingIt) {
  const ServerConfig c = Parsed({"--http", ":9090", "--http", ":9090"});
  EXPECT_EQ(c.listeners, (std::vector<ListenSpec>{{Proto::kHttp, ":9090"},
                                                   {Proto::kHttp, ":9090"}}));
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0].group, NoteGroup::kInfo);
  EXPECT_TRUE(Contains(c.notes[0].text, "--http :9090"));
  EXPECT_TRUE(Contains(c.notes[0].text, "HTTP router"));
}

TEST(CommandLine, GunicornBindAddsHttpListeners) {
  const ServerConfig c =
      Parsed({"--bind", "0.0.0.0:8000", "--bind=unix:/run/a.sock", "-b",
              ":8001", "-b/tmp/b.sock", "-b", "[::1]:8002"});
  EXPECT_EQ(c.listeners, (std::vector<ListenSpec>{
                             {Proto::kHttp, "0.0.0.0:8000"},
                             {Proto::kHttp, "unix:/run/a.sock"},
                             {Proto::kHttp, ":8001"},
                             {Proto::kHttp, "/tmp/b.sock"},
                             {Proto::kHttp, "[::1]:8002"},
                         }));
  EXPECT_EQ(c.buffer_size, 4096u);
}

TEST(CommandLine, ShortBWithoutColonOrSlashIsBufferSize) {
  EXPECT_EQ(Parsed({"-b", "8192"}).buffer_size, 8192u);
  EXPECT_EQ(Parsed({"-b", "32k"}).buffer_size, 32768u);
  EXPECT_EQ(Parsed({"-b16384"}).buffer_size, 16384u);
  EXPECT_TRUE(Parsed({"-b", "8192"}).listeners.empty());
  EXPECT_EQ(Parsed({"--buffer-size", "65535"}).buffer_size, 65535u);
}

TEST(CommandLine, ShortBWithNeitherSizeNorAddressExplainsBothMeanings) {
  const std::string e = ParseError({"-b", "0.0.0.0"});
  EXPECT_TRUE(Contains(e, "-b: '0.0.0.0' is not a size")) << e;
  EXPECT_TRUE(Contains(e, "--bind or --buffer-size")) << e;
  EXPECT_TRUE(Contains(ParseError({"-b", "100"}),
                       "-b: 100 is out of range 512..65535"));
  EXPECT_EQ(ParseError({"-b"}), "-b: needs a value (-b means --bind or "
                                "--buffer-size depending on its value; see "
                                "--help)");
}

TEST(CommandLine, ShortWWithANumberIsWorkersElseModule) {
  const ServerConfig workers = Parsed({"-w", "4", "app:app"});
  EXPECT_EQ(workers.processes, 4);
  EXPECT_EQ(workers.mounts,
            (std::vector<MountSpecText>{{"/", "app:app"}}));
  const ServerConfig module = Parsed({"-w", "mysite.wsgi:application"});
  EXPECT_EQ(module.processes, 1);
  EXPECT_EQ(module.mounts, (std::vector<MountSpecText>{
                               {"/", "mysite.wsgi:application"}}));
  EXPECT_EQ(Parsed({"-w8"}).processes, 8);
}

TEST(CommandLine, LongFlagTakesItsValueAfterEqualsOrAsTheNextArgument) {
  EXPECT_EQ(Parsed({"--threads", "8"}).threads, 8);
  EXPECT_EQ(Parsed({"--threads=8"}).threads, 8);
  EXPECT_EQ(Parsed({"--chdir=/srv/a=b"}).chdir, "/srv/a=b");
  // A value may start with a single dash; here it is then out of range.
  EXPECT_EQ(ParseError({"--threads", "-1"}),
            "--threads: -1 is out of range 1..1024");
}

TEST(CommandLine, ShortFlagTakesAnAttachedOrSeparateValue) {
  EXPECT_EQ(Parsed({"-p", "3"}).processes, 3);
  EXPECT_EQ(Parsed({"-p3"}).processes, 3);
  EXPECT_EQ(Parsed({"-l", "1024"}).listen_backlog, 1024);
  EXPECT_EQ(Parsed({"-H/opt/venv"}).home, "/opt/venv");
}

TEST(CommandLine, ListenerFlagsAndAliases) {
  EXPECT_EQ(Parsed({"--listen", "200"}).listen_backlog, 200);
  EXPECT_EQ(Parsed({"--backlog=300"}).listen_backlog, 300);
  EXPECT_EQ(Parsed({"-l", "400"}).listen_backlog, 400);
  EXPECT_TRUE(Parsed({"--vacuum"}).vacuum);
  EXPECT_EQ(Parsed({"--chmod-socket"}).chmod_socket, "666");
  EXPECT_EQ(Parsed({"--chmod=660"}).chmod_socket, "660");
  EXPECT_EQ(Parsed({"-C"}).chmod_socket, "666");
  EXPECT_EQ(Parsed({"-C", "0600"}).chmod_socket, "0600");
  EXPECT_EQ(Parsed({"-C640"}).chmod_socket, "640");
}

TEST(CommandLine, ChmodSocketTakesTheNextArgumentOnlyIfItIsAMode) {
  const ServerConfig taken = Parsed({"--chmod-socket", "660"});
  EXPECT_EQ(taken.chmod_socket, "660");
  EXPECT_TRUE(taken.mounts.empty());
  const ServerConfig not_taken = Parsed({"--chmod-socket", "app:app"});
  EXPECT_EQ(not_taken.chmod_socket, "666");
  EXPECT_EQ(not_taken.mounts,
            (std::vector<MountSpecText>{{"/", "app:app"}}));
}

TEST(CommandLine, ChmodSocketRejectsWhatIsNotAnOctalMode) {
  EXPECT_EQ(ParseError({"--chmod-socket=999"}),
            "--chmod-socket: '999' is not an octal mode like 660");
  EXPECT_TRUE(Contains(ParseError({"--chmod-socket=07777x"}), "octal mode"));
  EXPECT_TRUE(Contains(ParseError({"--chmod-socket=12345"}), "octal mode"));
  EXPECT_TRUE(Contains(ParseError({"-Crw"}), "-C: 'rw'"));
}

TEST(CommandLine, AppFlagsAndAliases) {
  const ServerConfig c = Parsed(
      {"--mount", "/api=api.py", "--mount=/admin=admin.wsgi:app",
       "--callable", "app", "--manage-script-name", "--need-app"});
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{
                          {"/api", "api.py"}, {"/admin", "admin.wsgi:app"}}));
  EXPECT_EQ(c.callable, "app");
  EXPECT_TRUE(c.manage_script_name);
  EXPECT_TRUE(c.need_app);
  EXPECT_EQ(Parsed({"--module", "pkg.mod"}).mounts,
            (std::vector<MountSpecText>{{"/", "pkg.mod"}}));
  EXPECT_EQ(Parsed({"--wsgi=pkg.mod:app"}).mounts,
            (std::vector<MountSpecText>{{"/", "pkg.mod:app"}}));
  EXPECT_EQ(Parsed({"-w", "pkg.mod:make()"}).mounts,
            (std::vector<MountSpecText>{{"/", "pkg.mod:make()"}}));
}

TEST(CommandLine, MountSplitsAtTheFirstEquals) {
  EXPECT_EQ(Parsed({"--mount", "/x=a=b.py"}).mounts,
            (std::vector<MountSpecText>{{"/x", "a=b.py"}}));
  EXPECT_EQ(Parsed({"--mount", "=root.py"}).mounts,
            (std::vector<MountSpecText>{{"", "root.py"}}));
}

TEST(CommandLine, MountWithoutTargetIsOneLineErrorQuotingIt) {
  EXPECT_EQ(ParseError({"--mount", "/x"}), "--mount: '/x' has no '=TARGET'");
  EXPECT_EQ(ParseError({"--mount=/x="}),
            "--mount: '/x=' has an empty TARGET after '='");
}

TEST(CommandLine, WsgiFileMountsAtRootAndKeepsBareNamesFiles) {
  EXPECT_EQ(Parsed({"--wsgi-file", "app.py"}).mounts,
            (std::vector<MountSpecText>{{"/", "app.py"}}));
  // "app.wsgi" alone would read as the module app.wsgi.
  EXPECT_EQ(Parsed({"--wsgi-file", "app.wsgi"}).mounts,
            (std::vector<MountSpecText>{{"/", "./app.wsgi"}}));
  EXPECT_EQ(Parsed({"--file=site/app.wsgi"}).mounts,
            (std::vector<MountSpecText>{{"/", "site/app.wsgi"}}));
  EXPECT_EQ(Parsed({"--file", "/srv/app.wsgi"}).mounts,
            (std::vector<MountSpecText>{{"/", "/srv/app.wsgi"}}));
}

TEST(CommandLine, GunicornPositionalAppMountsAtRoot) {
  const ServerConfig c =
      Parsed({"-w", "4", "-b", "127.0.0.1:8000", "mysite.wsgi:application"});
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{
                          {"/", "mysite.wsgi:application"}}));
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kHttp, "127.0.0.1:8000"}}));
  EXPECT_EQ(c.processes, 4);
}

TEST(CommandLine, SecondPositionalAppIsAnError) {
  const std::string e = ParseError({"a:app", "b:app"});
  EXPECT_TRUE(Contains(e, "unexpected argument 'b:app'")) << e;
  EXPECT_TRUE(Contains(ParseError({"a:app", "-"}), "'-'"));
}

TEST(CommandLine, ConfigFilesOtherThanIniAreRejected) {
  EXPECT_TRUE(Contains(ParseError({"app.yaml"}), "ini files only"));
  EXPECT_TRUE(Contains(ParseError({"app.json"}), "ini files only"));
  EXPECT_TRUE(Contains(ParseError({"--xml", "app.xml"}), "ini files only"));
}

TEST(CommandLine, DoubleDashEndsOptions) {
  EXPECT_EQ(Parsed({"--", "--weird:app"}).mounts,
            (std::vector<MountSpecText>{{"/", "--weird:app"}}));
}

TEST(CommandLine, PythonFlagsAndAliases) {
  const ServerConfig c = Parsed(
      {"--chdir", "/srv", "--pythonpath", "a", "--python-path=b", "--pp",
       "c,d", "--home", "/v1", "--env", "A=1", "--env=B=x=y", "-i",
       "--mount-main-interpreter", "/np", "--own-gil"});
  EXPECT_EQ(c.chdir, "/srv");
  EXPECT_EQ(c.pythonpath, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(c.home, "/v1");
  EXPECT_EQ(c.env, (std::vector<std::pair<std::string, std::string>>{
                       {"A", "1"}, {"B", "x=y"}}));
  EXPECT_TRUE(c.single_interpreter);
  EXPECT_EQ(c.main_interpreter_mounts, (std::vector<std::string>{"/np"}));
  EXPECT_TRUE(c.own_gil);
  EXPECT_EQ(Parsed({"--virtualenv", "/v2"}).home, "/v2");
  EXPECT_EQ(Parsed({"--venv=/v3"}).home, "/v3");
  EXPECT_EQ(Parsed({"--pyhome", "/v4"}).home, "/v4");
  EXPECT_EQ(Parsed({"-H", "/v5"}).home, "/v5");
  EXPECT_TRUE(Parsed({"--single-interpreter"}).single_interpreter);
  EXPECT_EQ(Parsed({"--env", "EMPTY="}).env,
            (std::vector<std::pair<std::string, std::string>>{{"EMPTY", ""}}));
}

TEST(CommandLine, EnvAndPythonpathRejectMalformedValues) {
  EXPECT_EQ(ParseError({"--env", "FOO"}), "--env: 'FOO' has no '=VALUE'");
  EXPECT_EQ(ParseError({"--env", "=x"}),
            "--env: '=x' has an empty name before '='");
  EXPECT_EQ(ParseError({"--pythonpath", ",,"}),
            "--pythonpath: ',,' names no directory");
}

TEST(CommandLine, ProcessFlagsAndAliases) {
  const ServerConfig c =
      Parsed({"--threads", "16", "--processes", "2", "--master",
              "--lazy-apps", "--max-requests", "1000", "--harakiri", "30"});
  EXPECT_EQ(c.threads, 16);
  EXPECT_EQ(c.processes, 2);
  EXPECT_TRUE(c.master);
  EXPECT_TRUE(c.lazy_apps);
  EXPECT_EQ(c.max_requests, 1000);
  EXPECT_EQ(c.harakiri, 30);
  EXPECT_EQ(Parsed({"--workers", "5"}).processes, 5);
  EXPECT_EQ(Parsed({"-p", "6"}).processes, 6);
  EXPECT_TRUE(Parsed({"-M"}).master);
  EXPECT_EQ(Parsed({"-R", "7"}).max_requests, 7);
  EXPECT_EQ(Parsed({"-t", "60"}).harakiri, 60);
  EXPECT_EQ(Parsed({"--timeout=90"}).harakiri, 90);
}

TEST(CommandLine, LimitFlagsAcceptSizeSuffixes) {
  const ServerConfig c =
      Parsed({"--limit-post", "10M", "--post-buffering=512k",
              "--socket-timeout", "30"});
  EXPECT_EQ(c.limit_post, 10 * 1024 * 1024);
  EXPECT_EQ(c.post_buffering, 512 * 1024);
  EXPECT_EQ(c.socket_timeout, 30);
  EXPECT_EQ(Parsed({"--limit-post", "2G"}).limit_post,
            std::int64_t{2} << 30);
  EXPECT_EQ(Parsed({"--limit-post", "123"}).limit_post, 123);
  EXPECT_EQ(Parsed({"-z", "9"}).socket_timeout, 9);
  EXPECT_EQ(Parsed({"--post-buffering", "0"}).post_buffering, 0);
}

TEST(CommandLine, BadSizesAreErrors) {
  EXPECT_EQ(ParseError({"--limit-post", "12x"}),
            "--limit-post: '12x' is not a size (bytes, or a number with a "
            "K, M or G suffix)");
  EXPECT_TRUE(Contains(ParseError({"--limit-post", "-5"}), "not a size"));
  EXPECT_TRUE(Contains(ParseError({"--limit-post", "K"}), "not a size"));
  EXPECT_EQ(ParseError({"--buffer-size", "64k"}),
            "--buffer-size: 64k is out of range 512..65535");
  EXPECT_TRUE(Contains(ParseError({"--limit-post", "99999999999G"}),
                       "out of range"));
  EXPECT_TRUE(Contains(ParseError({"--limit-post",
                                   "99999999999999999999999"}),
                       "out of range"));
}

TEST(CommandLine, LoggingAndStatsFlags) {
  EXPECT_TRUE(Parsed({"--disable-logging"}).disable_logging);
  EXPECT_TRUE(Parsed({"-L"}).disable_logging);
  const ServerConfig c =
      Parsed({"--stats", "127.0.0.1:3167", "--stats-http"});
  EXPECT_EQ(c.stats, "127.0.0.1:3167");
  EXPECT_TRUE(c.stats_http);
  EXPECT_EQ(Parsed({"--stats-server=:1717"}).stats, ":1717");
}

TEST(CommandLine, BooleanFlagsTakeNoValueOrAnExplicitBoolean) {
  EXPECT_TRUE(Parsed({"--master"}).master);
  for (const char* yes : {"true", "TRUE", "yes", "on", "1", ""}) {
    EXPECT_TRUE(Parsed({std::string("--master=") + yes}).master) << yes;
  }
  for (const char* no : {"false", "False", "no", "off", "0"}) {
    EXPECT_FALSE(Parsed({"--master", std::string("--master=") + no}).master)
        << no;
  }
}

TEST(CommandLine, BooleanFlagNeverTakesTheNextArgument) {
  const ServerConfig c = Parsed({"--vacuum", "app:app"});
  EXPECT_TRUE(c.vacuum);
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{{"/", "app:app"}}));
}

TEST(CommandLine, BadBooleanIsOneLineErrorNamingTheFlag) {
  EXPECT_EQ(ParseError({"--master=maybe"}),
            "--master: 'maybe' is not a boolean (true/false, yes/no, "
            "on/off, 1/0)");
}

TEST(CommandLine, ShortBooleansBundle) {
  const ServerConfig c = Parsed({"-MiL"});
  EXPECT_TRUE(c.master);
  EXPECT_TRUE(c.single_interpreter);
  EXPECT_TRUE(c.disable_logging);
  EXPECT_EQ(Parsed({"-Mp4"}).processes, 4);
}

TEST(CommandLine, NonNumberIsOneLineErrorNamingTheFlag) {
  EXPECT_EQ(ParseError({"--threads", "abc"}),
            "--threads: 'abc' is not a number");
  EXPECT_EQ(ParseError({"--threads=4x"}), "--threads: '4x' is not a number");
  EXPECT_EQ(ParseError({"-p", "many"}), "-p: 'many' is not a number");
  EXPECT_EQ(ParseError({"--listen", "1.5"}), "--listen: '1.5' is not a number");
}

TEST(CommandLine, OutOfRangeNumberNamesTheRange) {
  EXPECT_EQ(ParseError({"--threads", "0"}),
            "--threads: 0 is out of range 1..1024");
  EXPECT_EQ(ParseError({"--threads", "1025"}),
            "--threads: 1025 is out of range 1..1024");
  EXPECT_EQ(ParseError({"--threads", "99999999999999999999"}),
            "--threads: 99999999999999999999 is out of range 1..1024");
  EXPECT_EQ(ParseError({"--socket-timeout", "0"}),
            "--socket-timeout: 0 is out of range 1..86400");
  EXPECT_EQ(ParseError({"--max-requests", "-1"}),
            "--max-requests: -1 is out of range 0..2147483647");
  EXPECT_EQ(Parsed({"--threads", "1024"}).threads, 1024);
}

TEST(CommandLine, UnknownFlagIsOneLineErrorNamingIt) {
  EXPECT_EQ(ParseError({"--foo"}), "unknown option '--foo'");
  EXPECT_EQ(ParseError({"--foo=bar"}), "unknown option '--foo'");
  EXPECT_EQ(ParseError({"-x"}), "unknown option '-x'");
  EXPECT_EQ(ParseError({"-Mx"}), "unknown option '-x' in '-Mx'");
  EXPECT_EQ(ParseError({"--http-socket", ":1", "--spooler-processes", "100"}),
            "unknown option '--spooler-processes'");
}

TEST(CommandLine, MissingValueIsAnErrorNamingTheFlag) {
  EXPECT_EQ(ParseError({"--threads"}), "--threads: needs a value");
  EXPECT_EQ(ParseError({"--chdir", "--master"}), "--chdir: needs a value");
  EXPECT_EQ(ParseError({"-s"}), "-s: needs a value");
  EXPECT_EQ(ParseError({"--chdir="}), "--chdir: empty value");
  EXPECT_EQ(ParseError({"--threads="}), "--threads: needs a value");
}

TEST(CommandLine, RepeatableFlagsAppendInOrder) {
  const ServerConfig c = Parsed(
      {"--mount", "/a=a.py", "--mount", "/b=b.py", "--wsgi-file", "r.py",
       "--mount-main-interpreter", "/a", "--mount-main-interpreter=/b"});
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{
                          {"/a", "a.py"}, {"/b", "b.py"}, {"/", "r.py"}}));
  EXPECT_EQ(c.main_interpreter_mounts,
            (std::vector<std::string>{"/a", "/b"}));
}

TEST(CommandLine, ScalarFlagsTakeTheLastValue) {
  const ServerConfig c =
      Parsed({"--threads", "2", "--threads", "3", "--chdir", "/a", "--chdir",
              "/b", "--callable", "x", "--callable", "y"});
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.chdir, "/b");
  EXPECT_EQ(c.callable, "y");
}

TEST(CommandLine, HelpAndVersionSetTheirFlagAndStopParsing) {
  for (const char* flag : {"--help", "-h", "--usage"}) {
    ServerConfig c;
    std::string error;
    bool help = false, version = false;
    EXPECT_TRUE(Parse({flag, "--bogus"}, &c, &error, &help, &version)) << flag;
    EXPECT_TRUE(help) << flag;
    EXPECT_FALSE(version);
  }
  ServerConfig c;
  std::string error;
  bool help = false, version = false;
  EXPECT_TRUE(Parse({"--version", "--bogus"}, &c, &error, &help, &version));
  EXPECT_TRUE(version);
  EXPECT_FALSE(help);
  // Before them, errors still count; null flags are allowed.
  EXPECT_EQ(ParseError({"--bogus", "--help"}), "unknown option '--bogus'");
  EXPECT_TRUE(Parse({"--help"}, &c, &error, nullptr, nullptr));
}

TEST(CommandLine, HarmlessUwsgiOptionsAreAcceptedWithOneNoteEach) {
  const ServerConfig c =
      Parsed({"--enable-threads", "-T", "--plugins", "python3", "--plugin=x",
              "--die-on-term", "--uid", "www-data", "--thunder-lock",
              "--auto-procname", "--procname-prefix", "a", "--gid=www-data"});
  ASSERT_EQ(c.notes.size(), 8u);  // -T repeats --enable-threads
  EXPECT_EQ(c.notes[0].key, "enable-threads");
  EXPECT_EQ(c.notes[0].group, NoteGroup::kIgnored);
  EXPECT_EQ(c.notes[0].where, "command line");
  EXPECT_EQ(c.notes[1].key, "plugin");
  EXPECT_EQ(c.notes[3].key, "uid");
  EXPECT_EQ(c.notes[3].group, NoteGroup::kUnsupported);
  EXPECT_TRUE(Contains(c.notes[3].text, "does not switch user"));
  EXPECT_TRUE(c.mounts.empty());
  EXPECT_FALSE(c.strict);
}

// Every spelling in the table is accepted, with a value of its kind.
TEST(CommandLine, EverySpellingInTheTableIsAccepted) {
  const auto sample = [](const OptionInfo& option) -> std::string {
    if (option.name == "mount") return "/x=x.py";
    if (option.name == "env") return "K=V";
    if (option.name == "chmod-socket") return "660";
    if (option.name == "bind") return ":8000";
    if (option.name == "set-placeholder" || option.name == "set") return "k=v";
    if (option.name == "protocol") return "http";
    switch (option.kind) {
      case OptionKind::kInt:
      case OptionKind::kSize:
        return std::to_string(option.min);
      default:
        return "value";
    }
  };
  for (const OptionInfo& option : Options()) {
    // These read a file: see IniTest and IniLanguage.
    if (option.name == "ini" || option.name == "include" ||
        option.name == "yaml") {
      continue;
    }
    std::vector<std::string> spellings = {"--" + std::string(option.name)};
    for (std::string_view alias : option.aliases) {
      if (!alias.empty()) spellings.push_back("--" + std::string(alias));
    }
    for (char c : option.short_names) spellings.push_back({'-', c});
    for (const std::string& spelling : spellings) {
      std::vector<std::string> args = {spelling};
      if (option.kind != OptionKind::kBool) args.push_back(sample(option));
      ServerConfig c;
      std::string error;
      EXPECT_TRUE(Parse(args, &c, &error)) << spelling << ": " << error;
    }
  }
}

// --- the option table and help -----------------------------------------------

TEST(OptionTable, LongNamesAreUniqueAndShortNamesSharedOnlyWithARule) {
  std::set<std::string_view> longs;
  for (const OptionInfo& option : Options()) {
    EXPECT_TRUE(longs.insert(option.name).second) << option.name;
    for (std::string_view alias : option.aliases) {
      if (!alias.empty()) {
        EXPECT_TRUE(longs.insert(alias).second) << alias;
      }
    }
    EXPECT_FALSE(option.help.empty()) << option.name;
    EXPECT_EQ(option.help.find('\n'), std::string_view::npos) << option.name;
    // Options uWSGI has and subhost ignores or lacks leave a note instead.
    const bool notes = option.group == OptionGroup::kIgnored ||
                       option.group == OptionGroup::kUnsupported;
    EXPECT_TRUE(option.apply != nullptr || notes ||
                !std::holds_alternative<std::monostate>(option.field))
        << option.name << " stores nothing";
  }
  for (const OptionInfo& option : Options()) {
    for (char c : option.short_names) {
      int sharing = 0;
      for (const OptionInfo& other : Options()) {
        if (other.short_names.find(c) != std::string_view::npos) ++sharing;
      }
      if (sharing > 1) {
        EXPECT_NE(option.claims_short, nullptr) << "-" << c;
      }
    }
  }
}

TEST(Help, MentionsEveryLongAndShortFlagInTheTable) {
  const std::string help = HelpText();
  for (const OptionInfo& option : Options()) {
    EXPECT_TRUE(Contains(help, "--" + std::string(option.name)));
    for (std::string_view alias : option.aliases) {
      if (!alias.empty()) {
        EXPECT_TRUE(Contains(help, "--" + std::string(alias)));
      }
    }
    for (char c : option.short_names) {
      EXPECT_TRUE(Contains(help, std::string{'-', c, ','}));
    }
  }
}

TEST(Help, ExplainsHttpAndTheSharedShortFlags) {
  const std::string help = HelpText();
  EXPECT_TRUE(Contains(help, "--http is accepted and means the same as "
                             "--http-socket"));
  EXPECT_TRUE(Contains(help, "separate HTTP router"));
  EXPECT_TRUE(Contains(help, "-b is gunicorn's --bind"));
  EXPECT_TRUE(Contains(help, "-w is gunicorn's"));
  for (const char* group :
       {"Listeners:", "Apps and mounts:", "Python:", "Process model:",
        "Limits and timeouts:", "Logging:", "Stats:", "Accepted and ignored"}) {
    EXPECT_TRUE(Contains(help, group));
  }
  EXPECT_TRUE(Contains(help, "(1..1024, default 1)"));
  EXPECT_EQ(help.back(), '\n');
}

// --- Validate ----------------------------------------------------------------

ServerConfig Minimal() {
  ServerConfig c;
  c.listeners.push_back({Proto::kHttp, ":9090"});
  c.mounts.push_back({"/", "app.py"});
  return c;
}

TEST(Validate, AMinimalConfigPasses) {
  std::string error;
  EXPECT_TRUE(Validate(Minimal(), &error)) << error;
  EXPECT_TRUE(Validate(Parsed({"-b", ":8000", "app:app"}), &error)) << error;
}

TEST(Validate, NoListenerIsAnError) {
  ServerConfig c = Minimal();
  c.listeners.clear();
  EXPECT_TRUE(Contains(ValidateError(c), "no listener"));
}

TEST(Validate, NoMountIsAnError) {
  ServerConfig c = Minimal();
  c.mounts.clear();
  EXPECT_TRUE(Contains(ValidateError(c), "no app"));
}

TEST(Validate, AMountpointMountedTwiceIsAnError) {
  ServerConfig c = Minimal();
  c.mounts.push_back({"/api", "a.py"});
  c.mounts.push_back({"/api", "b.py"});
  EXPECT_EQ(ValidateError(c),
            "mountpoint '/api' is mounted twice ('a.py' and 'b.py')");
  c = Minimal();
  c.mounts.push_back({"", "other.py"});
  EXPECT_TRUE(Contains(ValidateError(c), "mounted twice"));
  c = Minimal();
  c.mounts.push_back({"/x", "a.py"});
  c.mounts.push_back({"/x/", "b.py"});
  EXPECT_TRUE(Contains(ValidateError(c), "mounted twice"));
  // gunicorn's positional and --wsgi-file both mean "/".
  EXPECT_TRUE(Contains(
      ValidateError(Parsed({"-b", ":1", "--wsgi-file", "a.py", "b:app"})),
      "mounted twice"));
}

TEST(Validate, AListenerAddressGivenTwiceIsAnError) {
  ServerConfig c = Minimal();
  c.listeners.push_back({Proto::kUwsgi, ":9090"});
  EXPECT_EQ(ValidateError(c), "listener address ':9090' is given twice");
}

TEST(Validate, MainInterpreterMountMustBeMounted) {
  ServerConfig c = Minimal();
  c.mounts.push_back({"/np", "np.py"});
  c.main_interpreter_mounts = {"/np/"};
  std::string error;
  EXPECT_TRUE(Validate(c, &error)) << error;
  c.main_interpreter_mounts = {"/nope"};
  EXPECT_EQ(ValidateError(c),
            "--mount-main-interpreter: '/nope' is not a mounted mountpoint");
}

// --- ini files ---------------------------------------------------------------


TEST_F(IniTest, SubhostSectionIsRead) {
  const std::string path = Write("a.ini",
                                 "[subhost]\n"
                                 "http-socket = :9090\n"
                                 "mount = /x=app.py\n"
                                 "master = true\n"
                                 "threads = 4\n"
                                 "buffer-size = 8k\n"
                                 "chmod-socket\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kHttp, ":9090"}}));
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{{"/x", "app.py"}}));
  EXPECT_TRUE(c.master);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.buffer_size, 8192u);
  EXPECT_EQ(c.chmod_socket, "666");
}

TEST_F(IniTest, UwsgiSectionIsReadWhenThereIsNoSubhostSection) {
  const std::string path = Write("u.ini",
                                 "[other]\nthreads = 9\n"
                                 "[uwsgi]\n"
                                 "socket = /run/app.sock\n"
                                 "module = mysite.wsgi:application\n"
                                 "processes = 4\n"
                                 "vacuum = true\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kUwsgi, "/run/app.sock"}}));
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{
                          {"/", "mysite.wsgi:application"}}));
  EXPECT_EQ(c.processes, 4);
  EXPECT_EQ(c.threads, 1);
  EXPECT_TRUE(c.vacuum);
}

TEST_F(IniTest, SubhostSectionWinsOverUwsgi) {
  const std::string path = Write("both.ini",
                                 "[uwsgi]\nthreads = 2\nbogus-key = 1\n"
                                 "[subhost]\nthreads = 3\n");
  EXPECT_EQ(Loaded(path).threads, 3);
}

TEST_F(IniTest, NamedSectionIsRead) {
  const std::string path = Write("n.ini",
                                 "[subhost]\nthreads = 2\n"
                                 "[production]\nthreads = 16\n");
  EXPECT_EQ(Loaded(path, "production").threads, 16);
  EXPECT_EQ(Parsed({"--ini", path + ":production"}).threads, 16);
  EXPECT_EQ(Parsed({"--ini=" + path}).threads, 2);
}

TEST_F(IniTest, MissingSectionIsAnErrorNamingTheFile) {
  const std::string path = Write("s.ini", "[other]\nthreads = 2\n");
  EXPECT_EQ(LoadError(path), path + ": no [subhost] or [uwsgi] section");
  EXPECT_EQ(LoadError(path, "prod"), path + ": no [prod] section");
}

TEST_F(IniTest, DirectoryIsAnErrorNamingIt) {
  EXPECT_EQ(LoadError(dir_),
            "cannot read ini file '" + dir_ + "': Is a directory");
}

TEST_F(IniTest, MissingFileIsAnErrorNamingIt) {
  const std::string path = dir_ + "/absent.ini";
  EXPECT_EQ(LoadError(path),
            "cannot read ini file '" + path + "': No such file or directory");
  EXPECT_EQ(ParseError({"--ini", path}),
            "cannot read ini file '" + path + "': No such file or directory");
}

TEST_F(IniTest, PercentDExpandsToTheFilesDirectory) {
  const std::string path = Write("d.ini",
                                 "[uwsgi]\n"
                                 "chdir = %d\n"
                                 "wsgi-file = %dapp.py\n"
                                 "env = RATE=100%%\n"
                                 "env = OTHER=%y\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.chdir, dir_ + "/");
  EXPECT_EQ(c.mounts,
            (std::vector<MountSpecText>{{"/", dir_ + "/app.py"}}));
  EXPECT_EQ(c.env, (std::vector<std::pair<std::string, std::string>>{
                       {"RATE", "100%"}, {"OTHER", "%y"}}));
}

TEST_F(IniTest, RepeatedKeysAppendListsAndReplaceScalars) {
  const std::string path = Write("r.ini",
                                 "[subhost]\n"
                                 "mount = /a=a.py\n"
                                 "mount = /b=b.py\n"
                                 "pythonpath = p1\n"
                                 "pp = p2\n"
                                 "threads = 2\n"
                                 "threads = 5\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.mounts,
            (std::vector<MountSpecText>{{"/a", "a.py"}, {"/b", "b.py"}}));
  EXPECT_EQ(c.pythonpath, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(c.threads, 5);
}

TEST_F(IniTest, CommentsAndBlankLinesAreSkipped) {
  const std::string path = Write("c.ini",
                                 "# a comment before any section\n"
                                 "threads = 7\n"
                                 "[subhost]\n"
                                 "\n"
                                 "; semicolon comment\n"
                                 "   # indented comment\n"
                                 "#threads = 8\n"
                                 "env = COLOR=#fff\n"
                                 "  callable  =  app  \n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 1);  // the line outside any section is not read
  EXPECT_EQ(c.env, (std::vector<std::pair<std::string, std::string>>{
                       {"COLOR", "#fff"}}));
  EXPECT_EQ(c.callable, "app");
}

TEST_F(IniTest, CrLfLineEndsAndAByteOrderMarkAreHandled) {
  const std::string path = Write(
      "w.ini", "\xEF\xBB\xBF[uwsgi]\r\nthreads = 3\r\nmaster = true\r\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 3);
  EXPECT_TRUE(c.master);
}

// As in uWSGI, a key that is not an option is a placeholder; subhost adds a
// note naming it, and --strict turns the notes into one error.
TEST_F(IniTest, UnknownKeyIsAPlaceholderWithANoteNamingFileAndLine) {
  const std::string path = Write("k.ini",
                                 "[uwsgi]\n"
                                 "threads = 2\n"
                                 "spooler-processes = 200\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 2);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0].group, NoteGroup::kPlaceholder);
  EXPECT_EQ(c.notes[0].key, "spooler-processes");
  EXPECT_EQ(c.notes[0].where, path + ":3");
  EXPECT_EQ(c.placeholders,
            (std::vector<ConfigSetting>{{"spooler-processes", "200", path + ":3"}}));
  std::string error;
  ServerConfig strict = c;
  strict.strict = true;
  EXPECT_FALSE(Validate(strict, &error));
  EXPECT_EQ(error, "strict: not options: 'spooler-processes' (" + path +
                       ":3) (set-ph NAME=VALUE defines a placeholder in "
                       "strict mode)");
}

TEST_F(IniTest, CommandLineOnlyOptionsArePlaceholdersInIniFiles) {
  const std::string path = Write("h.ini", "[subhost]\nhelp = true\n");
  bool help = false;
  ServerConfig c;
  std::string error;
  const std::string ini = "--ini=" + path;
  const char* argv[] = {"subhost", ini.c_str()};
  ASSERT_TRUE(ParseCommandLine(2, argv, &c, &help, nullptr, &error)) << error;
  EXPECT_FALSE(help);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0].key, "help");
}

TEST_F(IniTest, BadValueIsAnErrorNamingFileLineAndKey) {
  const std::string path = Write("v.ini",
                                 "[subhost]\n"
                                 "threads = abc\n");
  EXPECT_EQ(LoadError(path), path + ":2: threads: 'abc' is not a number");
  const std::string mount = Write("m.ini", "[subhost]\n\nmount = /x\n");
  EXPECT_EQ(LoadError(mount), mount + ":3: mount: '/x' has no '=TARGET'");
  const std::string bare = Write("b.ini", "[subhost]\nthreads\n");
  EXPECT_EQ(LoadError(bare), bare + ":2: threads: needs a value");
  const std::string empty = Write("e.ini", "[subhost]\nchdir =\n");
  EXPECT_EQ(LoadError(empty), empty + ":2: chdir: empty value");
}

TEST_F(IniTest, MalformedSectionHeaderIsAnError) {
  const std::string path = Write("x.ini", "[uwsgi\nthreads = 2\n");
  EXPECT_EQ(LoadError(path),
            path + ":1: '[uwsgi' is not a [section] header");
}

TEST_F(IniTest, BareKeyIsTrueForBooleans) {
  const std::string path = Write("bool.ini",
                                 "[subhost]\n"
                                 "master\n"
                                 "vacuum =\n"
                                 "lazy-apps = yes\n"
                                 "need-app = off\n");
  const ServerConfig c = Loaded(path);
  EXPECT_TRUE(c.master);
  EXPECT_TRUE(c.vacuum);
  EXPECT_TRUE(c.lazy_apps);
  EXPECT_FALSE(c.need_app);
}

TEST_F(IniTest, AliasesAreKeysToo) {
  const std::string path = Write("alias.ini",
                                 "[uwsgi]\n"
                                 "virtualenv = /venv\n"
                                 "workers = 3\n"
                                 "file = app.wsgi\n"
                                 "uwsgi-socket = :3031\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.home, "/venv");
  EXPECT_EQ(c.processes, 3);
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{{"/", "./app.wsgi"}}));
  EXPECT_EQ(c.listeners,
            (std::vector<ListenSpec>{{Proto::kUwsgi, ":3031"}}));
}

TEST_F(IniTest, HarmlessUwsgiKeysAreIgnoredWithANote) {
  const std::string path = Write("p.ini",
                                 "[uwsgi]\n"
                                 "plugins = python3\n"
                                 "enable-threads = true\n"
                                 "die-on-term = true\n"
                                 "single-interpreter = true\n");
  const ServerConfig c = Loaded(path);
  ASSERT_EQ(c.notes.size(), 3u);
  EXPECT_EQ(c.notes[0].key, "plugin");
  EXPECT_EQ(c.notes[0].where, path + ":2");
  EXPECT_EQ(c.notes[0].text, "subhost has Python built in");
  EXPECT_TRUE(c.single_interpreter);  // a real option, not ignored
}

TEST_F(IniTest, FlagsAfterIniOverrideItAndListsAppend) {
  const std::string path = Write("o.ini",
                                 "[subhost]\n"
                                 "threads = 4\n"
                                 "chdir = /from-ini\n"
                                 "mount = /ini=ini.py\n");
  const ServerConfig c =
      Parsed({"--threads", "2", "--mount", "/before=b.py", "--ini", path,
              "--chdir", "/from-flag", "--mount", "/after=a.py"});
  EXPECT_EQ(c.threads, 4);          // the ini came after --threads 2
  EXPECT_EQ(c.chdir, "/from-flag");  // --chdir came after the ini
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{{"/before", "b.py"},
                                                   {"/ini", "ini.py"},
                                                   {"/after", "a.py"}}));
}

TEST_F(IniTest, PositionalIniFileIsLoadedLikeUwsgiDoes) {
  const std::string path = Write("app.ini", "[uwsgi]\nhttp-socket = :1\n"
                                            "[dev]\nhttp-socket = :2\n");
  EXPECT_EQ(Parsed({path}).listeners,
            (std::vector<ListenSpec>{{Proto::kHttp, ":1"}}));
  EXPECT_EQ(Parsed({path + ":dev"}).listeners,
            (std::vector<ListenSpec>{{Proto::kHttp, ":2"}}));
  // Not an app module: a gunicorn positional may still follow.
  EXPECT_EQ(Parsed({path, "app:app"}).mounts,
            (std::vector<MountSpecText>{{"/", "app:app"}}));
}

TEST_F(IniTest, IniIncludesAnotherIni) {
  Write("base.ini", "[subhost]\nthreads = 6\nmount = /base=base.py\n");
  const std::string path = Write("top.ini",
                                 "[subhost]\n"
                                 "ini = %dbase.ini\n"
                                 "mount = /top=top.py\n");
  const ServerConfig c = Loaded(path);
  EXPECT_EQ(c.threads, 6);
  EXPECT_EQ(c.mounts, (std::vector<MountSpecText>{{"/base", "base.py"},
                                                   {"/top", "top.py"}}));
}

TEST_F(IniTest, IniIncludingItselfStopsWithAnError) {
  const std::string path = Write("loop.ini", "[subhost]\nini = %dloop.ini\n");
  EXPECT_TRUE(Contains(LoadError(path), "more than 16 deep"));
}

TEST_F(IniTest, ErrorInAnIncludedIniNamesThatFileAndLine) {
  const std::string inner = Write("inner.ini", "[subhost]\n\nthreads = x\n");
  const std::string outer =
      Write("outer.ini", "[subhost]\nini = %dinner.ini\n");
  EXPECT_EQ(LoadError(outer), inner + ":3: threads: 'x' is not a number");
}

}  // namespace
}  // namespace subhost::config

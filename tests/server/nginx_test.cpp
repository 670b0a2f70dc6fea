// The uwsgi protocol through a real nginx (uwsgi_pass with Debian's
// uwsgi_params), with Flask and Django mounted at prefixes.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/server/server_process.h"

namespace subhost::testing {
namespace {

std::string App(const std::string& name) {
  return std::string(SUBHOST_TEST_APPS) + "/" + name;
}
std::string Sample(const std::string& name) {
  return std::string(SUBHOST_SAMPLES) + "/" + name;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// nginx in the foreground on a free loopback port, passing everything to a
// uwsgi upstream.
class Nginx {
 public:
  bool Start(const std::string& dir, const std::string& upstream) {
    if (::access("/usr/sbin/nginx", X_OK) != 0) return false;
    port_ = FreePort();
    std::string conf = dir + "/nginx.conf";
    std::ofstream f(conf);
    f << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
      << "error_log " << dir << "/nginx-error.log;\npid " << dir << "/nginx.pid;\n"
      << "events { worker_connections 256; }\n"
      << "http {\n  access_log off;\n"
      << "  client_body_temp_path " << dir << "/nginx-body;\n"
      << "  uwsgi_temp_path " << dir << "/nginx-uwsgi;\n"
      << "  proxy_temp_path " << dir << "/nginx-proxy;\n"
      << "  fastcgi_temp_path " << dir << "/nginx-fastcgi;\n"
      << "  scgi_temp_path " << dir << "/nginx-scgi;\n"
      << "  client_max_body_size 64m;\n"
      << "  server {\n    listen 127.0.0.1:" << port_ << ";\n"
      << "    location / {\n      include /etc/nginx/uwsgi_params;\n"
      << "      uwsgi_pass " << upstream << ";\n    }\n  }\n}\n";
    f.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open((dir + "/nginx.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::execl("/usr/sbin/nginx", "nginx", "-p", dir.c_str(), "-c", conf.c_str(),
              "-e", (dir + "/nginx-error.log").c_str(), nullptr);
      ::_exit(127);
    }
    return WaitFor([&] { return Client(port_).connected(); }, 20);
  }
  ~Nginx() {
    if (pid_ > 0) {
      ::kill(pid_, SIGQUIT);
      if (!WaitFor([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 10)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

class BehindNginx : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start(
        {"--socket", "127.0.0.1:0", "--threads", "4",
         "--pythonpath", SUBHOST_SAMPLES, "--pythonpath", Sample("django_site"),
         "--mount", "/=" + Sample("hello.py"),
         "--mount", "/app=" + App("server_app.py"),
         "--mount", "/flask=flask_app.app:app",
         "--mount", "/django=django_site.wsgi:application"}))
        << server_.Log();
    // Debian's Flask and Django are packaged for its python3.11 only.
    if (server_.LogContains("ModuleNotFoundError")) {
      GTEST_SKIP() << "Flask or Django missing for this CPython";
    }
    ASSERT_TRUE(nginx_.Start(server_.dir(), server_.Listening().at(0)))
        << ReadFile(server_.dir() + "/nginx-error.log")
        << ReadFile(server_.dir() + "/nginx.out");
    url_ = "http://127.0.0.1:" + std::to_string(nginx_.port());
  }
  std::string Curl(const std::string& args) {
    int status = 0;
    std::string out = Shell("curl -s " + args, &status);
    EXPECT_EQ(status, 0) << args;
    return out;
  }
  ServerProcess server_;
  Nginx nginx_;
  std::string url_;
};

TEST_F(BehindNginx, ServesEveryMountThroughUwsgiPass) {
  EXPECT_EQ(Curl(url_ + "/"), "Hello, World!\n");
  std::string flask = Curl(url_ + "/flask/json");
  EXPECT_NE(flask.find("\"script_name\":\"/flask\""), std::string::npos) << flask;
  std::string page = Curl("'" + url_ + "/flask/?name=%3Cb%3E'");
  EXPECT_NE(page.find("Hello, &lt;b&gt;!"), std::string::npos) << page;
  EXPECT_NE(page.find("href=\"/flask/json\""), std::string::npos);
  std::string django = Curl(url_ + "/django/json/");
  EXPECT_NE(django.find("\"url\": \"/django/json/\""), std::string::npos) << django;
  std::string env = Curl("'" + url_ + "/app/environ?a=%41'");
  EXPECT_NE(env.find("SCRIPT_NAME=/app\n"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH_INFO=/environ\n"), std::string::npos);
  EXPECT_NE(env.find("QUERY_STRING=a=%41\n"), std::string::npos);
  EXPECT_TRUE(server_.WaitForLog("GET /django/json/ => 200"));
}

TEST_F(BehindNginx, PostBodiesArriveWhole) {
  std::string file = server_.dir() + "/body.bin";
  {
    std::ofstream f(file, std::ios::binary);
    for (int i = 0; i < 3 * 1024 * 1024; ++i) f.put(static_cast<char>(i * 7));
  }
  std::string sum = Shell("sha256sum " + file + " | cut -d' ' -f1");
  sum.pop_back();
  EXPECT_EQ(Curl("--data-binary @" + file + " " + url_ + "/app/echo"),
            std::to_string(3 * 1024 * 1024) + " " + sum);
  EXPECT_EQ(Curl("--data-binary hello " + url_ + "/flask/echo"), "hello");
  EXPECT_EQ(Curl("--data-binary posted " + url_ + "/django/echo/"), "posted");
}

TEST_F(BehindNginx, HttpSpokenToTheUwsgiSocketGetsAClearLogLine) {
  std::string a = server_.Listening().at(0);
  Client c(std::atoi(a.c_str() + a.rfind(':') + 1));
  c.Send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string r = c.ReadUntilClose();
  EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
  EXPECT_TRUE(server_.WaitForLog("--http-socket")) << server_.Log();
}

}  // namespace
}  // namespace subhost::testing

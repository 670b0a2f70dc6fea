// Test support for the subhost command: starts the real binary on port 0,
// learns its ports from the log, talks to it over loopback, stops it with a
// real signal. Every wait has a deadline; nothing sleeps a fixed time.
#ifndef SUBHOST_TESTS_SERVER_SERVER_PROCESS_H_
#define SUBHOST_TESTS_SERVER_SERVER_PROCESS_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace subhost::testing {

using Clock = std::chrono::steady_clock;

// Polls cond every few milliseconds until it holds or the deadline passes.
inline bool WaitFor(const std::function<bool()>& cond, double seconds) {
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string TempDir() {
  char tmpl[] = "/tmp/subhost-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  return d ? d : "/tmp";
}

class ServerProcess {
 public:
  ServerProcess() : dir_(TempDir()) {}
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& dir() const { return dir_; }
  std::string log_path() const { return dir_ + "/server.log"; }

  // Starts `subhost args...` and waits until it listens on `listeners`
  // sockets (or exits). Returns false with the log on failure.
  bool Start(const std::vector<std::string>& args, int listeners = 1,
             double seconds = 60) {
    std::string log = log_path();
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (const auto& [key, value] : env_) ::setenv(key.c_str(), value.c_str(), 1);
      std::vector<char*> argv;
      std::string bin = SUBHOST_BINARY;
      argv.push_back(bin.data());
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    bool ok = WaitFor([&] { return Listening().size() >= static_cast<size_t>(listeners) || Exited(); }, seconds);
    return ok && !Exited();
  }

  // "127.0.0.1:4312" (or a unix path) of each listener, in order.
  std::vector<std::string> Listening() const {
    std::vector<std::string> out;
    std::istringstream in(ReadFile(log_path()));
    std::string line;
    while (std::getline(in, line)) {
      size_t at = line.find("listening on ");
      if (at == std::string::npos) continue;
      std::string rest = line.substr(at + 13);
      rest = rest.substr(rest.find(' ') + 1);
      out.push_back(rest.substr(0, rest.find(' ')));
    }
    return out;
  }
  int Port(size_t i = 0) const {
    std::string a = Listening().at(i);
    return std::atoi(a.c_str() + a.rfind(':') + 1);
  }
  std::string Log() const { return ReadFile(log_path()); }
  bool LogContains(const std::string& s) const {
    return Log().find(s) != std::string::npos;
  }
  bool WaitForLog(const std::string& s, double seconds = 10) const {
    return WaitFor([&] { return LogContains(s); }, seconds);
  }

  bool Exited() {
    if (pid_ <= 0) return true;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = status;
      pid_ = -1;
      return true;
    }
    return false;
  }
  // Sends sig and waits for the exit; returns the exit code, or -1.
  int Stop(int sig = SIGTERM, double seconds = 30) {
    if (pid_ > 0) ::kill(pid_, sig);
    if (!WaitFor([&] { return Exited(); }, seconds)) return -1;
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  pid_t pid() const { return pid_; }

  // An environment variable for the server, set in the child before exec
  // (the test's own environment is left alone). Call before Start.
  void SetEnv(const std::string& key, const std::string& value) {
    env_.emplace_back(key, value);
  }
  // Sends sig to the server without waiting; false if it is not running.
  bool Signal(int sig) const { return pid_ > 0 && ::kill(pid_, sig) == 0; }
  // How many times s occurs in the log.
  int LogCount(const std::string& s) const {
    std::string log = Log();
    int n = 0;
    for (size_t at = log.find(s); at != std::string::npos;
         at = log.find(s, at + s.size())) {
      ++n;
    }
    return n;
  }
  // The word (up to a space or the line's end) right after the last
  // occurrence of prefix in the log; "" if there is none. E.g.
  // LogWordAfter("stats server enabled on ") gives "127.0.0.1:41234".
  std::string LogWordAfter(const std::string& prefix) const {
    std::string log = Log();
    size_t at = log.rfind(prefix);
    if (at == std::string::npos) return "";
    at += prefix.size();
    size_t end = log.find_first_of(" \r\n", at);
    return log.substr(at, end == std::string::npos ? std::string::npos : end - at);
  }
  // Waits until the log has `count` occurrences of s (or more).
  bool WaitForLogCount(const std::string& s, int count, double seconds = 10) const {
    return WaitFor([&] { return LogCount(s) >= count; }, seconds);
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int status_ = 0;
  std::vector<std::pair<std::string, std::string>> env_;
};

// A blocking loopback client socket with a receive deadline.
class Client {
 public:
  explicit Client(int port, const char* host = "127.0.0.1") {
    bool v6 = std::string(host).find(':') != std::string::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (v6) {
      sockaddr_in6 a = {};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET6, host, &a.sin6_addr);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    } else {
      sockaddr_in a = {};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      ::inet_pton(AF_INET, host, &a.sin_addr);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
  }
  explicit Client(const std::string& unix_path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", unix_path.c_str());
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { Close(); }
  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until the peer closes or the deadline passes.
  std::string ReadUntilClose(double seconds = 10) {
    std::string out;
    ReadWhile([&] { return true; }, &out, seconds);
    return out;
  }
  // Reads until `count` complete HTTP responses are in the buffer (using
  // Content-Length or chunked framing), or close / deadline.
  std::string ReadResponses(int count, double seconds = 10) {
    std::string out;
    ReadWhile([&] { return CountResponses(out) < count; }, &out, seconds);
    return out;
  }
  // Reads until the data received contains needle (or close / deadline).
  std::string ReadUntil(const std::string& needle, double seconds = 10) {
    std::string out;
    ReadWhile([&] { return out.find(needle) == std::string::npos; }, &out,
              seconds);
    return out;
  }
  bool closed() const { return closed_; }

  static int CountResponses(const std::string& s) {
    int n = 0;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t end = s.find("\r\n\r\n", pos);
      if (end == std::string::npos) break;
      std::string head = s.substr(pos, end - pos);
      size_t body = end + 4;
      if (head.rfind("HTTP/1.1 100", 0) == 0) {
        pos = body;
        continue;
      }
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      size_t cl = lower.find("content-length: ");
      if (cl != std::string::npos) {
        size_t len = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
        if (s.size() < body + len) break;
        pos = body + len;
      } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        size_t term = s.find("\r\n0\r\n\r\n", body - 2);
        if (term == std::string::npos) break;
        pos = term + 7;
      } else {
        break;  // close-delimited: complete only at close
      }
      ++n;
    }
    return n;
  }

 private:
  void ReadWhile(const std::function<bool()>& more, std::string* out,
                 double seconds) {
    auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (more()) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - Clock::now()).count());
      if (left <= 0) return;
      pollfd p = {fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return;
      }
      out->append(buf, static_cast<size_t>(n));
    }
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

// Connects to "HOST:PORT" (IPv4 or "[v6]:PORT"), sends request (may be
// empty) and returns what arrives until the peer closes or the deadline
// passes; "" when the connection fails. For the stats socket, which writes
// its document and closes.
inline std::string FetchUntilClose(const std::string& address,
                                   const std::string& request = "",
                                   double seconds = 10) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return "";
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  Client c(std::atoi(address.c_str() + colon + 1), host.c_str());
  if (!c.connected()) return "";
  if (!request.empty() && !c.Send(request)) return "";
  return c.ReadUntilClose(seconds);
}

// Runs a shell command, returns its stdout; *status gets the exit code.
inline std::string Shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

}  // namespace subhost::testing

#endif  // SUBHOST_TESTS_SERVER_SERVER_PROCESS_H_

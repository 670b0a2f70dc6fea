#include "engine/server/body_spool.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "engine/server/write_all.h"

namespace subhost::server {

namespace {

// Reads a spooled request body back; closes the file when the request is
// done with it.
class SpoolReader : public BodyReader {
 public:
  explicit SpoolReader(int fd) : fd_(fd) {}
  ~SpoolReader() override { ::close(fd_); }
  std::ptrdiff_t Read(char* buffer, std::size_t size) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

 private:
  int fd_;
};

}  // namespace

BodySpool::~BodySpool() {
  if (fd_ >= 0) ::close(fd_);
}

bool BodySpool::Open() {
  if (fd_ >= 0) return true;
  const char* dir = std::getenv("TMPDIR");
  if (dir == nullptr || *dir == '\0') dir = "/tmp";
  fd_ = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ >= 0) return true;
  // Filesystems without O_TMPFILE: a named file, unlinked at once.
  std::string path = fmt::format("{}/subhost-body-XXXXXX", dir);
  fd_ = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd_ >= 0) ::unlink(path.c_str());
  return fd_ >= 0;
}

bool BodySpool::Append(std::string_view data) {
  iovec iov = {const_cast<char*>(data.data()), data.size()};
  return WriteAll(fd_, Target::kFile, &iov, 1, -1);
}

std::shared_ptr<BodyReader> BodySpool::TakeReader() {
  ::lseek(fd_, 0, SEEK_SET);
  auto reader = std::make_shared<SpoolReader>(fd_);
  fd_ = -1;
  return reader;
}

}  // namespace subhost::server

// SPDX-License-Identifier: MIT
// Atomic replacement of a file (POSIX): write a temporary file in the target's directory, fsync it,
// rename it over the target, fsync the directory. A failure at any step removes the temporary file,
// so readers see either the old file or the new one, never a torn one.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace metagrad::io {

/// The file system refused an operation (missing directory, permissions, disk full ...).
struct io_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

inline std::string errno_text(int err) { return std::strerror(err); }

/// Appends bytes to an open file descriptor; the writer callback of atomic_write gets one.
class file_sink {
 public:
  file_sink(int fd, std::string const* path) : fd_(fd), path_(path) {}
  void write(void const* data, std::size_t n) {
    auto const* p = static_cast<char const*>(data);
    while (n > 0) {
      ::ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        throw io_error("write '" + *path_ + "': " + errno_text(w < 0 ? errno : ENOSPC) + " after " +
                       std::to_string(written_) + " bytes");
      p += w, n -= static_cast<std::size_t>(w), written_ += static_cast<std::size_t>(w);
    }
  }
  std::size_t written() const { return written_; }

 private:
  int fd_;
  std::string const* path_;
  std::size_t written_ = 0;
};

/// Writes `path` atomically: `fill(file_sink&)` produces the contents; if it (or any file system
/// step) throws, the temporary file is removed and an existing `path` is left byte-identical.
template <class Fill>
void atomic_write(std::filesystem::path const& path, Fill&& fill) {
  namespace fs = std::filesystem;
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw io_error("save '" + path.string() + "': directory '" + dir.string() + "' does not exist");
  if (path.filename().empty()) throw io_error("save '" + path.string() + "': not a file name");
  // pid + counter keeps concurrent saves (threads, processes) off each other's temporary files.
  static std::atomic<unsigned> counter{0};
  fs::path tmp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) +
                        "." + std::to_string(counter++));
  std::string const tmp_name = tmp.string();
  int fd = ::open(tmp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    throw io_error("save '" + path.string() + "': cannot create '" + tmp_name +
                   "': " + errno_text(errno));
  try {
    file_sink sink(fd, &tmp_name);
    fill(sink);
    if (::fsync(fd) != 0) throw io_error("fsync '" + tmp_name + "': " + errno_text(errno));
    int c = ::close(fd);
    fd = -1;
    if (c != 0) throw io_error("close '" + tmp_name + "': " + errno_text(errno));
    if (::rename(tmp_name.c_str(), path.c_str()) != 0)
      throw io_error("rename '" + tmp_name + "' to '" + path.string() + "': " + errno_text(errno));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp_name.c_str());
    throw;
  }
  // The rename is durable once the directory entry is; failing to sync it loses nothing written.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace detail
}  // namespace metagrad::io

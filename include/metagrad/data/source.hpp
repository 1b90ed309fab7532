// SPDX-License-Identifier: MIT
// The errors of data/ and the byte sources its readers pull from: memory, gzip'd memory (zlib
// inflate) and files, plain or gzip'd (zlib gzread). Each source has read(out, n) -> bytes read;
// a short read means the end of the data, and a decoding failure throws format_error.
#pragma once
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace metagrad::data {

/// Malformed input: the message names the input and says what was expected and found.
/// e.g. "train-images-idx3-ubyte.gz: expected images of 28x28, found 32x32".
class format_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file that cannot be opened, e.g. "cannot open /data/x.gz: No such file or directory".
class file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Bytes already in memory.
class memory_source {
 public:
  memory_source(std::uint8_t const* data, std::size_t size) : p_(data), n_(size) {}
  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t const k = n < n_ - pos_ ? n : n_ - pos_;
    for (std::size_t i = 0; i < k; ++i) out[i] = p_[pos_ + i];
    pos_ += k;
    return k;
  }

 private:
  std::uint8_t const* p_;
  std::size_t n_, pos_ = 0;
};

/// A gzip stream in memory, inflated on demand; concatenated members are read one after the
/// other, as gzread does.
class inflate_source {
 public:
  inflate_source(std::uint8_t const* data, std::size_t size, std::string name)
      : name_(std::move(name)) {
    if (size > std::numeric_limits<uInt>::max())
      throw format_error(name_ + ": gzip input of " + std::to_string(size) + " bytes is too large");
    z_.next_in = const_cast<Bytef*>(data);  // zlib's API is not const-correct; it never writes
    z_.avail_in = static_cast<uInt>(size);
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK)  // 16 + MAX_WBITS: gzip header, not zlib
      throw format_error(name_ + ": gzip: " + (z_.msg ? z_.msg : "inflateInit2 failed"));
  }
  inflate_source(inflate_source const&) = delete;
  inflate_source& operator=(inflate_source const&) = delete;
  ~inflate_source() { inflateEnd(&z_); }

  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n && !done_) {
      std::size_t const want = n - got < (1u << 30) ? n - got : (1u << 30);
      z_.next_out = out + got;
      z_.avail_out = static_cast<uInt>(want);
      int const rc = inflate(&z_, Z_NO_FLUSH);
      got += want - z_.avail_out;
      if (rc == Z_STREAM_END) {
        // Another member follows only if it starts with the gzip magic; other trailing bytes
        // are ignored, as gzread ignores them.
        bool const member = z_.avail_in >= 2 && z_.next_in[0] == 0x1f && z_.next_in[1] == 0x8b;
        if (!member)
          done_ = true;
        else if (inflateReset(&z_) != Z_OK)
          fail("inflateReset failed");
      } else if (rc == Z_BUF_ERROR) {
        if (z_.avail_out != 0) fail("unexpected end of the compressed data");
      } else if (rc != Z_OK) {
        fail(z_.msg ? z_.msg : "inflate failed");
      }
    }
    return got;
  }

 private:
  [[noreturn]] void fail(char const* why) { throw format_error(name_ + ": gzip: " + why); }
  z_stream z_{};
  std::string name_;
  bool done_ = false;
};

/// A file, gzip'd or plain (gzread passes plain files through).
class gz_file_source {
 public:
  explicit gz_file_source(std::string const& path) : name_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw file_error("cannot open " + path);
    gzbuffer(f_, 1 << 17);
  }
  gz_file_source(gz_file_source const&) = delete;
  gz_file_source& operator=(gz_file_source const&) = delete;
  ~gz_file_source() { gzclose(f_); }

  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      unsigned const want = n - got < (1u << 30) ? static_cast<unsigned>(n - got) : (1u << 30);
      int const k = gzread(f_, out + got, want);
      if (k < 0) fail();
      got += static_cast<std::size_t>(k);
      if (static_cast<unsigned>(k) < want) {
        int errnum = Z_OK;
        gzerror(f_, &errnum);
        if (errnum != Z_OK) fail();  // a truncated or corrupt gzip stream, not a clean end
        break;
      }
    }
    return got;
  }

 private:
  [[noreturn]] void fail() {
    int errnum = Z_OK;
    std::string msg = gzerror(f_, &errnum);
    if (msg.rfind(name_ + ": ", 0) == 0) msg.erase(0, name_.size() + 2);  // zlib prefixes the path
    throw format_error(name_ + ": gzip: " + (msg.empty() ? "read error" : msg));
  }
  std::string name_;
  gzFile f_;
};

}  // namespace detail
}  // namespace metagrad::data

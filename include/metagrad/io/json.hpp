// SPDX-License-Identifier: MIT
// The JSON that safetensors headers need (RFC 8259), read and written without a dependency:
// a strict parser with a nesting limit and UTF-8 validation, a value tree that keeps numbers as
// their literal text (so a u64 byte offset is exact) and object members in text order, and a
// compact writer. Non-template on purpose: a general JSON library costs every TU that saves or
// loads a checkpoint several seconds of compile time (nlohmann_json's parse and dump took 5 s).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metagrad::io::json {

/// Malformed JSON text; the message says at which byte, what was expected and what was found.
struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class kind : unsigned char { null, boolean, number, string, array, object };

/// Length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is not one
/// (overlong forms, surrogates and code points past U+10FFFF are not).
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto const b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char const c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // U+D800..U+DFFF
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n || b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  return n;
}

/// The offset of the first byte of `s` that does not start valid UTF-8, or nullopt if all is valid.
inline std::optional<std::size_t> invalid_utf8_at(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t const n = utf8_sequence(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

/// Byte c as two lowercase hex digits, e.g. 0x1f -> "1f".
inline std::string hex_byte(unsigned char c) {
  static constexpr char digits[] = "0123456789abcdef";
  return {digits[c >> 4], digits[c & 15]};
}

/// Appends `s` (valid UTF-8) to `out` as a JSON string literal: quotes, backslashes and control
/// characters escaped, everything else as it is.
inline void write_string(std::string& out, std::string_view s) {
  out += '"';
  for (char const ch : s) {
    auto const c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00" + hex_byte(c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

/// One JSON value. An object's member names are `keys`, its values the same positions of `items`.
struct value {
  json::kind type = kind::null;
  bool boolean = false;
  std::string text;               // a string's decoded UTF-8, or a number's literal text
  std::vector<value> items;       // an array's elements, or an object's member values
  std::vector<std::string> keys;  // an object's member names, in text order

  bool is(json::kind k) const { return type == k; }
  std::size_t size() const { return items.size(); }
  /// The first member named `key`, or nullptr (also for a value that is not an object).
  value const* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &items[i];
    return nullptr;
  }
  /// The number when it is a non-negative integer literal that fits in 64 bits (so not "2.0",
  /// "1e3" or "-0"); nullopt otherwise.
  std::optional<std::uint64_t> as_u64() const {
    if (type != kind::number || text.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char const c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      auto const d = static_cast<std::uint64_t>(c - '0');
      if (v > (UINT64_MAX - d) / 10) return std::nullopt;
      v = v * 10 + d;
    }
    return v;
  }
  /// Compact JSON text of this value.
  std::string dump() const {
    std::string out;
    dump_to(out);
    return out;
  }
  void dump_to(std::string& out) const {
    switch (type) {
      case kind::null:
        out += "null";
        break;
      case kind::boolean:
        out += boolean ? "true" : "false";
        break;
      case kind::number:
        out += text;
        break;
      case kind::string:
        write_string(out, text);
        break;
      case kind::array:
      case kind::object:
        out += type == kind::array ? '[' : '{';
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (i > 0) out += ',';
          if (type == kind::object) {
            write_string(out, keys[i]);
            out += ':';
          }
          items[i].dump_to(out);
        }
        out += type == kind::array ? ']' : '}';
        break;
    }
  }
};

namespace detail {

class parser {
 public:
  parser(std::string_view s, std::size_t max_depth) : s_(s), max_depth_(max_depth) {}

  value document() {
    skip_space();
    value v = parse_value(0);
    skip_space();
    if (i_ != s_.size()) fail("the end of the text");
    return v;
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const {
    std::string found = "the end of the text";
    if (i_ < s_.size()) {
      auto const c = static_cast<unsigned char>(s_[i_]);
      if (c >= 0x20 && c < 0x7f) {
        found = std::string("'") + s_[i_] + "'";
      } else {
        found = "byte 0x" + hex_byte(c);
      }
    }
    throw parse_error("at byte " + std::to_string(i_) + ": expected " + std::string(expected) +
                      ", found " + found);
  }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (!at(c)) return false;
    ++i_;
    return true;
  }
  bool at_digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  void word(std::string_view w) {
    for (char const c : w)
      if (!eat(c)) fail("'" + std::string(w) + "'");
  }

  value parse_value(std::size_t depth) {
    value v;
    if (i_ >= s_.size()) fail("a value");
    switch (s_[i_]) {
      case '{':
      case '[':
        parse_container(v, depth + 1);
        break;
      case '"':
        v.type = kind::string;
        v.text = parse_string();
        break;
      case 't':
      case 'f':
        v.type = kind::boolean;
        v.boolean = s_[i_] == 't';
        word(v.boolean ? "true" : "false");
        break;
      case 'n':
        word("null");
        break;
      default:
        v.type = kind::number;
        v.text = parse_number();
    }
    return v;
  }

  void parse_container(value& v, std::size_t depth) {
    bool const object = s_[i_] == '{';
    if (depth > max_depth_) fail("at most " + std::to_string(max_depth_) + " levels of nesting");
    ++i_;
    v.type = object ? kind::object : kind::array;
    char const close = object ? '}' : ']';
    skip_space();
    if (eat(close)) return;
    for (;;) {
      skip_space();
      if (object) {
        if (!at('"')) fail("a member name (a string)");
        v.keys.push_back(parse_string());
        skip_space();
        if (!eat(':')) fail("':'");
        skip_space();
      }
      v.items.push_back(parse_value(depth));
      skip_space();
      if (eat(',')) continue;
      if (eat(close)) return;
      fail(object ? "',' or '}'" : "',' or ']'");
    }
  }

  std::string parse_number() {
    std::size_t const begin = i_;
    eat('-');
    if (!eat('0')) {
      if (!at_digit()) fail("a value");
      while (at_digit()) ++i_;
    }
    if (eat('.')) {
      if (!at_digit()) fail("a digit after '.'");
      while (at_digit()) ++i_;
    }
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!at_digit()) fail("a digit in the exponent");
      while (at_digit()) ++i_;
    }
    return std::string(s_.substr(begin, i_ - begin));
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int k = 0; k < 4; ++k, ++i_) {
      char const c = i_ < s_.size() ? s_[i_] : '\0';
      unsigned d;
      if (c >= '0' && c <= '9')
        d = unsigned(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = unsigned(c - 'A' + 10);
      else
        fail("four hex digits after \\u");
      v = v * 16 + d;
    }
    return v;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    auto put = [&](unsigned b) { out += static_cast<char>(b); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xc0 | (cp >> 6));
      put(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      put(0xe0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    } else {
      put(0xf0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3f));
      put(0x80 | ((cp >> 6) & 0x3f));
      put(0x80 | (cp & 0x3f));
    }
  }

  // At the opening quote; returns the decoded contents and leaves i_ after the closing quote.
  std::string parse_string() {
    ++i_;
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("'\"' to close the string");
      auto const c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20) fail("a string character (control characters must be escaped)");
      if (c != '\\') {
        std::size_t const n = utf8_sequence(s_, i_);
        if (n == 0) fail("UTF-8 text");
        out.append(s_.substr(i_, n));
        i_ += n;
        continue;
      }
      ++i_;
      char const e = i_ < s_.size() ? s_[i_] : '\0';
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          ++i_;
          unsigned cp = hex4();
          if (cp >= 0xdc00 && cp <= 0xdfff) fail("a high surrogate before a low one");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (!eat('\\') || !eat('u')) fail("\\u and a low surrogate after a high one");
            unsigned const lo = hex4();
            if (lo < 0xdc00 || lo > 0xdfff) fail("a low surrogate after a high one");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          append_utf8(out, cp);
          continue;  // hex4 left i_ after the digits
        }
        default:
          fail("an escape (one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
      }
      ++i_;
    }
  }

  std::string_view s_;
  std::size_t max_depth_;
  std::size_t i_ = 0;
};

}  // namespace detail

/// Parses a whole JSON text; arrays and objects may nest `max_depth` levels (the parser recurses
/// once per level, so the limit bounds its stack).
/// e.g. json::parse(R"({"shape":[2,3]})").find("shape")->items[1].as_u64() == 3
inline value parse(std::string_view text, std::size_t max_depth = 64) {
  return detail::parser(text, max_depth).document();
}

}  // namespace metagrad::io::json

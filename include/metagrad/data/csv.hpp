// SPDX-License-Identifier: MIT
// CSV of numbers into a (rows, cols) tensor plus column names: RFC 4180 quoting ("a,b", "" for a
// quote, line breaks inside quotes), \n or \r\n line ends, blank lines skipped, spaces around a
// number ignored. Errors name the line and column, e.g. "line 7, column 3: expected a number,
// found 'abc'".
#pragma once
#include <charconv>
#include <concepts>
#include <fstream>
#include <istream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "../expr/tensor.hpp"
#include "source.hpp"

namespace metagrad::data {

struct csv_options {
  char delimiter = ',';
  bool header = true;  ///< the first record names the columns
};

/// A parsed CSV: one name per column (empty without a header) and the values, (rows, cols).
template <class T>
struct csv_table {
  std::vector<std::string> columns;
  tensor<T, shape<dyn, dyn>> values;
};

namespace detail {

/// Splits text into records of fields, one record at a time, tracking line numbers.
class csv_records {
 public:
  csv_records(std::string_view text, char delim, std::string const& name)
      : s_(text), delim_(delim), name_(name) {}

  /// The next non-blank record into `fields`; false at the end. `line()` is where it started.
  bool next(std::vector<std::string>& fields) {
    fields.clear();
    while (pos_ < s_.size() && (s_[pos_] == '\n' || s_[pos_] == '\r')) newline();
    if (pos_ >= s_.size()) return false;
    start_line_ = line_;
    for (;;) {
      fields.push_back(field(fields.size() + 1));
      if (pos_ >= s_.size()) return true;
      if (s_[pos_] == delim_) {
        ++pos_;
        continue;
      }
      newline();  // field() stops only at a delimiter, a line end or the end
      return true;
    }
  }
  std::size_t line() const { return start_line_; }
  std::string where(std::size_t column) const {
    return name_ + "line " + std::to_string(start_line_) + ", column " + std::to_string(column);
  }

 private:
  void newline() {
    if (s_[pos_] == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') ++pos_;
    ++pos_, ++line_;
  }
  std::string field(std::size_t column) {
    std::string out;
    std::size_t const begin = pos_;
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t') && s_[pos_] != delim_) ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      for (;;) {
        if (pos_ >= s_.size()) throw format_error(where(column) + ": unterminated quoted field");
        char const c = s_[pos_++];
        if (c == '"') {
          if (pos_ < s_.size() && s_[pos_] == '"')
            out += '"', ++pos_;
          else
            break;
        } else {
          if (c == '\n') ++line_;
          out += c;
        }
      }
      while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t') && s_[pos_] != delim_)
        ++pos_;
      if (pos_ < s_.size() && s_[pos_] != delim_ && s_[pos_] != '\n' && s_[pos_] != '\r')
        throw format_error(where(column) +
                           ": expected a delimiter after the closing quote, found '" +
                           std::string(1, s_[pos_]) + "'");
      return out;
    }
    pos_ = begin;
    while (pos_ < s_.size() && s_[pos_] != delim_ && s_[pos_] != '\n' && s_[pos_] != '\r') {
      if (s_[pos_] == '"')
        throw format_error(where(column) + ": a quote inside an unquoted field (quote the field)");
      out += s_[pos_++];
    }
    return out;
  }

  std::string_view s_;
  char delim_;
  std::string name_;
  std::size_t pos_ = 0, line_ = 1, start_line_ = 1;
};

/// The number in `text` (spaces around it ignored, a leading '+' allowed), or nullopt-like false.
template <class T>
bool parse_number(std::string_view text, T& out) {
  auto const first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return false;
  text = text.substr(first, text.find_last_not_of(" \t") - first + 1);
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

inline std::string quoted_excerpt(std::string const& s) {
  return "'" + (s.size() <= 40 ? s : s.substr(0, 40) + "...") + "'";
}

}  // namespace detail

/// Parses CSV text of numbers. `name` (e.g. a path) prefixes the messages.
/// e.g. auto t = parse_csv<float>("x,y\n1,2\n3,4\n"); t.values(1, 0) == 3.
template <class T>
requires std::integral<T> || std::floating_point<T> csv_table<T> parse_csv(
    std::string_view text, csv_options opt = {}, std::string const& name = "") {
  std::string const prefix = name.empty() ? "" : name + ": ";
  if (opt.delimiter == '"' || opt.delimiter == '\n' || opt.delimiter == '\r')
    throw format_error(prefix + "the delimiter cannot be a quote or a line end");
  detail::csv_records records(text, opt.delimiter, prefix);
  csv_table<T> table;
  std::vector<std::string> fields;
  std::vector<T> values;
  std::size_t cols = 0, rows = 0;
  bool first = true;
  while (records.next(fields)) {
    if (first)
      cols = fields.size();
    else if (fields.size() != cols)
      throw format_error(prefix + "line " + std::to_string(records.line()) + ": expected " +
                         std::to_string(cols) + " fields, found " + std::to_string(fields.size()));
    if (first && opt.header) {
      table.columns = fields;
      first = false;
      continue;
    }
    first = false;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      T v{};
      if (!detail::parse_number(fields[c], v))
        throw format_error(records.where(c + 1) + ": expected a number, found " +
                           detail::quoted_excerpt(fields[c]));
      values.push_back(v);
    }
    ++rows;
  }
  table.values = tensor<T, shape<dyn, dyn>>(
      extents<2>{{static_cast<index_t>(rows), static_cast<index_t>(cols)}},
      metagrad::detail::uninitialized_t{});
  std::copy(values.begin(), values.end(), table.values.data());
  return table;
}

/// Reads CSV from a stream. e.g. std::istringstream in("1;2\n"); read_csv<double>(in, {';',
/// false}).
template <class T>
csv_table<T> read_csv(std::istream& in, csv_options opt = {}, std::string const& name = "") {
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) throw file_error((name.empty() ? "csv" : name) + ": read error");
  return parse_csv<T>(text, opt, name);
}

/// Reads a CSV file; messages start with its path. e.g. auto t = read_csv<float>("iris.csv");
template <class T>
csv_table<T> read_csv(std::string const& path, csv_options opt = {}) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error("cannot open " + path);
  return read_csv<T>(in, opt, path);
}

}  // namespace metagrad::data

// SPDX-License-Identifier: MIT
// CSV reader: RFC 4180 quoting, line ends, blank lines, header or not, delimiters, integer and
// floating types, files and streams, and the messages of malformed input (line and column).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <metagrad/data/csv.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace mg = metagrad;
namespace md = metagrad::data;

namespace {

std::string message_of(std::string const& text, md::csv_options opt = {},
                       std::string const& name = "") {
  try {
    md::parse_csv<double>(text, opt, name);
  } catch (md::format_error const& e) {
    return e.what();
  }
  return "no error";
}

template <class T>
std::vector<T> values_of(md::csv_table<T> const& t) {
  return std::vector<T>(t.values.data(), t.values.data() + t.values.size());
}

}  // namespace

TEST_CASE("CSV: a header names the columns and the rows become a (rows, cols) tensor") {
  auto const t = md::parse_csv<float>("x,y,label\n1,2.5,0\n-3,4e2,1\n");
  CHECK(t.columns == std::vector<std::string>{"x", "y", "label"});
  CHECK(t.values.shape() == mg::extents<2>{{2, 3}});
  CHECK(t.values(0, 1) == 2.5f);
  CHECK(t.values(1, 0) == -3.f);
  CHECK(t.values(1, 1) == 400.f);
  CHECK(t.values(1, 2) == 1.f);
}

TEST_CASE("CSV: without a header every record is data and there are no column names") {
  auto const t = md::parse_csv<int>("1,2\n3,4\n", {.header = false});
  CHECK(t.columns.empty());
  CHECK(t.values.shape() == mg::extents<2>{{2, 2}});
  CHECK(values_of(t) == std::vector<int>{1, 2, 3, 4});
  // The same text with a header: the first record is names, however numeric.
  auto const h = md::parse_csv<int>("1,2\n3,4\n");
  CHECK(h.columns == std::vector<std::string>{"1", "2"});
  CHECK(values_of(h) == std::vector<int>{3, 4});
}

TEST_CASE("CSV: CRLF and LF line ends, a missing final line end, and blank lines") {
  auto const lf = md::parse_csv<double>("a,b\n1,2\n3,4");
  auto const crlf = md::parse_csv<double>("a,b\r\n1,2\r\n3,4\r\n");
  auto const blank = md::parse_csv<double>("\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n");
  for (auto const* t : {&lf, &crlf, &blank}) {
    CHECK(t->columns == std::vector<std::string>{"a", "b"});
    CHECK(values_of(*t) == std::vector<double>{1, 2, 3, 4});
  }
  // A bare CR ends a line too, and no trailing CR is left in the last column's name.
  CHECK(md::parse_csv<double>("a,b\r1,2\r").columns.back() == "b");
}

TEST_CASE("CSV: quoted fields hold delimiters, doubled quotes and line breaks") {
  auto const t =
      md::parse_csv<double>("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n\"1\", \"2\" ,3\n");
  CHECK(t.columns == std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines"});
  CHECK(values_of(t) == std::vector<double>{1, 2, 3});
  // An empty quoted name is a name; spaces around numbers are ignored, a leading '+' allowed.
  auto const u = md::parse_csv<double>("\"\",b\n  +1.5\t, -2 \n");
  CHECK(u.columns == std::vector<std::string>{"", "b"});
  CHECK(values_of(u) == std::vector<double>{1.5, -2});
}

TEST_CASE("CSV: other delimiters, and an empty input is an empty table") {
  auto const t = md::parse_csv<double>("a;b\n1.5;2\n", {.delimiter = ';'});
  CHECK(t.columns == std::vector<std::string>{"a", "b"});
  CHECK(values_of(t) == std::vector<double>{1.5, 2});
  CHECK(message_of("a;b\n1,5;2\n", {.delimiter = ';'}) ==
        "line 2, column 1: expected a number, found '1,5'");
  auto const tab = md::parse_csv<int>("1\t2\t3\n", {.delimiter = '\t', .header = false});
  CHECK(values_of(tab) == std::vector<int>{1, 2, 3});
  auto const empty = md::parse_csv<float>("");
  CHECK(empty.values.shape() == mg::extents<2>{{0, 0}});
  CHECK(empty.columns.empty());
  auto const only_header = md::parse_csv<float>("a,b\n");
  CHECK(only_header.values.shape() == mg::extents<2>{{0, 2}});
  CHECK_THROWS_WITH_AS(md::parse_csv<float>("1\n", {.delimiter = '"'}),
                       "the delimiter cannot be a quote or a line end", md::format_error);
}

TEST_CASE("CSV: malformed input names the line and column and says what was found") {
  CHECK(message_of("a,b\n1,2\n3,x4\n") == "line 3, column 2: expected a number, found 'x4'");
  CHECK(message_of("a,b\n1,\n") == "line 2, column 2: expected a number, found ''");
  CHECK(message_of("a,b\n1,2\n\n3\n") == "line 4: expected 2 fields, found 1");  // ragged
  CHECK(message_of("a,b\n1,2,3\n") == "line 2: expected 2 fields, found 3");
  CHECK(message_of("1,2\n3\n", {.header = false}) == "line 2: expected 2 fields, found 1");
  CHECK(message_of("a,b\n1,\"2\n") == "line 2, column 2: unterminated quoted field");
  CHECK(message_of("a,\"b\"c\n") ==
        "line 1, column 2: expected a delimiter after the closing quote, found 'c'");
  CHECK(message_of("a,b\"c\n") ==
        "line 1, column 2: a quote inside an unquoted field (quote the field)");
  // Line numbers count the line breaks inside quoted fields, and the name prefixes the message.
  CHECK(message_of("\"a\nb\",c\n1,y\n", {}, "t.csv") ==
        "t.csv: line 3, column 2: expected a number, found 'y'");
  // A long field is quoted in part.
  CHECK(message_of("a\n" + std::string(50, 'z') + "\n") ==
        "line 2, column 1: expected a number, found '" + std::string(40, 'z') + "...'");
  // An integer table rejects fractions and out-of-range values.
  CHECK_THROWS_WITH_AS(md::parse_csv<int>("a\n1.5\n"),
                       "line 2, column 1: expected a number, found '1.5'", md::format_error);
  CHECK_THROWS_AS(md::parse_csv<std::int8_t>("a\n300\n"), md::format_error);
}

TEST_CASE("CSV: read_csv from a stream and from a file; a missing file is a file_error") {
  std::istringstream in("1;2\n3;4\n");
  auto const s = md::read_csv<double>(in, {.delimiter = ';', .header = false});
  CHECK(values_of(s) == std::vector<double>{1, 2, 3, 4});

  auto const path = std::filesystem::temp_directory_path() /
                    ("metagrad_csv_" + std::to_string(std::random_device{}()) + ".csv");
  std::ofstream(path) << "x,y\n5,6\nbad,7\n";
  CHECK_THROWS_WITH_AS(
      md::read_csv<float>(path.string()),
      (path.string() + ": line 3, column 1: expected a number, found 'bad'").c_str(),
      md::format_error);
  std::ofstream(path) << "x,y\n5,6\n";
  CHECK(values_of(md::read_csv<float>(path.string())) == std::vector<float>{5, 6});
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(md::read_csv<float>(path.string()), ("cannot open " + path.string()).c_str(),
                       md::file_error);
}

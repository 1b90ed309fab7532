// The JSON reader and writer of safetensors headers (io/json.hpp): RFC 8259's grammar, strictly
// (what it accepts and what it rejects, with the byte and what was expected and found), UTF-8 in
// and out, exact u64 numbers, member order, and the nesting limit.
#include <doctest/doctest.h>

#include <metagrad/io/json.hpp>
#include <string>

namespace json = metagrad::io::json;

TEST_CASE("json: values, whitespace and member order") {
  auto const v =
      json::parse(" {\"b\" : [1, -0, 2.5e-3, true, false, null, \"s\"],\r\n\t\"a\":{}} ");
  REQUIRE(v.is(json::kind::object));
  CHECK(v.keys == std::vector<std::string>{"b", "a"});  // text order, not sorted
  auto const& b = *v.find("b");
  REQUIRE(b.size() == 7);
  CHECK(b.items[0].as_u64() == 1u);
  CHECK(b.items[1].is(json::kind::number));
  CHECK(b.items[1].text == "-0");
  CHECK(b.items[2].text == "2.5e-3");
  CHECK(b.items[3].boolean);
  CHECK(b.items[4].is(json::kind::boolean));
  CHECK(!b.items[4].boolean);
  CHECK(b.items[5].is(json::kind::null));
  CHECK(b.items[6].text == "s");
  CHECK(v.find("a")->is(json::kind::object));
  CHECK(v.find("c") == nullptr);
  CHECK(b.find("x") == nullptr);  // not an object
  CHECK(v.dump() == R"({"b":[1,-0,2.5e-3,true,false,null,"s"],"a":{}})");
  CHECK(json::parse("[]").dump() == "[]");
  CHECK(json::parse("\"\"").text.empty());
  CHECK(json::parse("0").as_u64() == 0u);
}

TEST_CASE("json: integers are exact to 2^64 - 1 and only integer literals are unsigned") {
  CHECK(json::parse("18446744073709551615").as_u64() == 18446744073709551615ull);
  CHECK(json::parse("9007199254740993").as_u64() == 9007199254740993ull);  // 2^53 + 1
  CHECK(!json::parse("18446744073709551616").as_u64());                    // 2^64
  CHECK(!json::parse("99999999999999999999").as_u64());
  for (char const* s : {"-1", "-0", "2.0", "1e3", "1E+2", "0.5"}) {
    CAPTURE(s);
    CHECK(json::parse(s).is(json::kind::number));
    CHECK(!json::parse(s).as_u64());
  }
}

TEST_CASE("json: strings decode every escape and keep UTF-8 as it is") {
  CHECK(json::parse(R"("a\"b\\c\/d\b\f\n\r\t")").text == "a\"b\\c/d\b\f\n\r\t");
  CHECK(json::parse(R"("\u0041\u00e9\u20AC")").text == "A\xc3\xa9\xe2\x82\xac");
  CHECK(json::parse(R"("\ud83d\ude00")").text == "\xf0\x9f\x98\x80");  // a surrogate pair
  CHECK(json::parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"").text ==
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  CHECK(json::parse(R"("\u0000")").text == std::string(1, '\0'));
}

TEST_CASE("json: the writer escapes what must be escaped, and what it writes parses back") {
  std::string out;
  json::write_string(out, std::string("q\"b\\n\n\x01\x1f\x7f/\xc3\xa9", 12));
  CHECK(out == "\"q\\\"b\\\\n\\n\\u0001\\u001f\x7f/\xc3\xa9\"");
  CHECK(json::parse(out).text == std::string("q\"b\\n\n\x01\x1f\x7f/\xc3\xa9", 12));
  std::string const text = R"({"k":["\u0000",{"x":[[],{}]},-1.5E+3],"":"\t"})";
  auto const once = json::parse(text).dump();
  CHECK(json::parse(once).dump() == once);
  CHECK(once == "{\"k\":[\"\\u0000\",{\"x\":[[],{}]},-1.5E+3],\"\":\"\\t\"}");
}

TEST_CASE("json: malformed text is a parse_error naming the byte, what was expected and found") {
  auto fails = [](std::string const& text, char const* msg) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(json::parse(text), msg, json::parse_error);
  };
  fails("", "at byte 0: expected a value, found the end of the text");
  fails("   ", "at byte 3: expected a value, found the end of the text");
  fails("[1,]", "at byte 3: expected a value, found ']'");
  fails("[1 2]", "at byte 3: expected ',' or ']', found '2'");
  fails("{\"a\" 1}", "at byte 5: expected ':', found '1'");
  fails("{1:2}", "at byte 1: expected a member name (a string), found '1'");
  fails("{\"a\":1,}", "at byte 7: expected a member name (a string), found '}'");
  fails("{\"a\":1", "at byte 6: expected ',' or '}', found the end of the text");
  fails("{} x", "at byte 3: expected the end of the text, found 'x'");
  fails("01", "at byte 1: expected the end of the text, found '1'");
  fails("+1", "at byte 0: expected a value, found '+'");
  fails(".5", "at byte 0: expected a value, found '.'");
  fails("-", "at byte 1: expected a value, found the end of the text");
  fails("1.", "at byte 2: expected a digit after '.', found the end of the text");
  fails("1e", "at byte 2: expected a digit in the exponent, found the end of the text");
  fails("tru", "at byte 3: expected 'true', found the end of the text");
  fails("nulL", "at byte 3: expected 'null', found 'L'");
  fails("\"abc", "at byte 4: expected '\"' to close the string, found the end of the text");
  fails("\"a\nb\"",
        "at byte 2: expected a string character (control characters must be escaped), found "
        "byte 0x0a");
  fails(R"("\x")",
        R"(at byte 2: expected an escape (one of \" \\ \/ \b \f \n \r \t \u), found 'x')");
  fails(R"("\u12g4")", R"(at byte 5: expected four hex digits after \u, found 'g')");
  fails(R"("\ude00")", R"(at byte 7: expected a high surrogate before a low one, found '"')");
  fails(R"("\ud83d")", R"(at byte 7: expected \u and a low surrogate after a high one, found '"')");
  fails(R"("\ud83d\u0041")", R"(at byte 13: expected a low surrogate after a high one, found '"')");
  fails(std::string("[1]\0", 4), "at byte 3: expected the end of the text, found byte 0x00");
}

TEST_CASE(
    "json: strings must be UTF-8; overlong forms, surrogates and bytes past U+10FFFF are not") {
  for (std::string const bad :
       {"\xff", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\x80", "\xc3", "\xe2\x82", "\xc3\x28"}) {
    CAPTURE(bad);
    CHECK(json::invalid_utf8_at(bad) == 0u);
    CHECK_THROWS_WITH_AS(json::parse("\"" + bad + "\""),
                         doctest::Contains("at byte 1: expected UTF-8 text, found byte 0x"),
                         json::parse_error);
  }
  CHECK(!json::invalid_utf8_at("\xf4\x8f\xbf\xbf \xed\x9f\xbf \xe0\xa0\x80 \xc2\x80"));
  CHECK(json::invalid_utf8_at("ok\xc3\xa9\xff") == 4u);
}

TEST_CASE("json: nesting deeper than the limit is refused before it can exhaust the stack") {
  auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(json::parse(nested(64)).is(json::kind::array));
  CHECK_THROWS_WITH_AS(json::parse(nested(65)),
                       "at byte 64: expected at most 64 levels of nesting, found '['",
                       json::parse_error);
  CHECK_THROWS_AS(json::parse(nested(1'000'000)), json::parse_error);
  CHECK(json::parse("{\"a\":[{}]}", 3).size() == 1);
  CHECK_THROWS_WITH_AS(json::parse("{\"a\":[{}]}", 2),
                       "at byte 6: expected at most 2 levels of nesting, found '{'",
                       json::parse_error);
}

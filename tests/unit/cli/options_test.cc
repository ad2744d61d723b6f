// The CLI's numeric options: what parse_unsigned takes and refuses, and the CLI11 transform
// every numeric flag uses (a refusal is CLI11's ValidationError, exit 105; an accepted value
// reaches the variable unchanged, whatever CLI11's own conversion would make of it).
#include "cli/options.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace cbit::cli {
namespace {

TEST(ParseUnsigned, DecimalAndHex) {
  EXPECT_EQ(parse_unsigned("0"), 0u);
  EXPECT_EQ(parse_unsigned("42"), 42u);
  EXPECT_EQ(parse_unsigned("0x2a"), 42u);
  EXPECT_EQ(parse_unsigned("0X2A"), 42u);
  EXPECT_EQ(parse_unsigned("18446744073709551615"), kU64Max);
  EXPECT_EQ(parse_unsigned("0xffffffffffffffff"), kU64Max);
}

TEST(ParseUnsigned, RefusesRatherThanWrapsOrGuesses) {
  for (const char* s : {"",
                        "-1",
                        "-0",
                        "+1",
                        " 1",
                        "1 ",
                        "\t1",
                        "18446744073709551616",
                        "99999999999999999999",
                        "0x10000000000000000",
                        "010",
                        "00",
                        "0x",
                        "0x-1",
                        "0x 1",
                        "1e3",
                        "1.5",
                        "1_000",
                        "ten",
                        "0b1",
                        "0o7",
                        "true",
                        "1\n"})
    EXPECT_FALSE(parse_unsigned(s).has_value()) << "'" << s << "'";
}

TEST(ParseUnsigned, RangeErrorsNameTheValueAndTheRange) {
  EXPECT_EQ(unsigned_range_error("16", 16, 1024), "");
  EXPECT_EQ(unsigned_range_error("1024", 16, 1024), "");
  EXPECT_EQ(unsigned_range_error("15", 16, 1024), "'15' is not a whole number from 16 to 1024");
  EXPECT_EQ(unsigned_range_error("-1", 0, 5),
            "'-1' is not a whole number from 0 to 5 (decimal or 0x-hex digits)");
  // Long or multi-line input stays one short line.
  const std::string e = unsigned_range_error(std::string(200, '9') + "\n", 0, 1);
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_LT(e.size(), 160u);
  EXPECT_EQ(parse_unsigned_in("0x10", "--x", 0, 16), 16u);
  EXPECT_THROW(parse_unsigned_in("17", "--x", 0, 16), InputError);
}

// What CLI11 itself does with the same flags: parse a command line through add_unsigned.
struct Parsed {
  int code = 0;  // 0 or the CLI11 exit code
  uint64_t u64 = 7;
  unsigned u32 = 7;
  std::optional<uint64_t> opt;
};

Parsed parse(std::vector<std::string> args) {
  Parsed p;
  CLI::App app;
  add_unsigned(&app, "--seed", p.u64, "", 0, kU64Max);
  add_unsigned(&app, "--rows", p.u32, "", 16, 1024);
  add_unsigned(&app, "--opt", p.opt, "", 1, 1024);
  args.insert(args.begin(), "prog");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    p.code = e.get_exit_code();
  }
  return p;
}

TEST(AddUnsigned, AcceptedValuesArriveIntact) {
  const Parsed p = parse({"--seed", "18446744073709551615", "--rows", "0x10", "--opt", "1024"});
  EXPECT_EQ(p.code, 0);
  EXPECT_EQ(p.u64, kU64Max);
  EXPECT_EQ(p.u32, 16u);
  EXPECT_EQ(p.opt, 1024u);
  EXPECT_FALSE(parse({}).opt.has_value());
}

TEST(AddUnsigned, RefusalsAreValidationErrors) {
  const int kValidation = static_cast<int>(CLI::ExitCodes::ValidationError);
  // CLI11 alone reads "-1" and "99999999999999999999" as 2^64 - 1 and "010" as 8.
  for (const char* v : {"-1", "99999999999999999999", "010", "", "1.0", "0x"})
    EXPECT_EQ(parse({"--seed", v}).code, kValidation) << v;
  for (const char* v : {"15", "1025", "4294967312", "-4294967280"})
    EXPECT_EQ(parse({"--rows", v}).code, kValidation) << v;
  EXPECT_EQ(parse({"--opt", "0"}).code, kValidation);
  EXPECT_NE(parse({"--seed", "1", "--seed", "2"}).code, 0);  // one value, not the last of two
}

}  // namespace
}  // namespace cbit::cli

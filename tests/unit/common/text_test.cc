// common/text.h: text from outside is printed without terminal controls and on one line.
#include "common/text.h"

#include <gtest/gtest.h>

namespace cbit {
namespace {

TEST(Printable, EscapesTerminalControlsAndLineBreaks) {
  // A brand string that would clear the screen and set the window title.
  EXPECT_EQ(printable("AMD EPYC\x1b[2J\x1b]0;pwned\x07 7763"),
            "AMD EPYC\\e[2J\\e]0;pwned\\x07 7763");
  EXPECT_EQ(printable("label\nFAKE LINE\r\tx\x7f"), "label\\nFAKE LINE\\r\\tx\\x7f");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  // C1 controls: a raw 0x9b is an 8-bit CSI; in UTF-8, U+009B is C2 9B.
  EXPECT_EQ(printable("x\x9b"
                      "31m"),
            "x\\x9b31m");
  EXPECT_EQ(printable("x\xc2\x9b"
                      "31m"),
            "x\\u{009b}31m");
  // Bidirectional overrides reorder what is shown (Trojan Source); separators break lines.
  EXPECT_EQ(printable("abc\xe2\x80\xae"
                      "fed"),
            "abc\\u{202e}fed");
  EXPECT_EQ(printable("a\xe2\x81\xa6"
                      "b\xe2\x80\xa8"),
            "a\\u{2066}b\\u{2028}");
  // Not UTF-8: stray continuation bytes, overlongs, surrogates, truncated sequences.
  EXPECT_EQ(printable("\x80"), "\\x80");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  EXPECT_EQ(printable("ok\xe2\x82"), "ok\\xe2\\x82");
}

TEST(Printable, LeavesOrdinaryTextAlone) {
  // Controls: ASCII, the backslash, and UTF-8 letters and symbols pass unchanged.
  for (const char* s : {"AMD EPYC 7763 64-Core Processor", "C:\\path", "caf\xc3\xa9",
                        "\xe4\xb8\xad\xe6\x96\x87", "\xe2\x80\xa6", "\xf0\x9f\x94\x92", ""})
    EXPECT_EQ(printable(s), s) << s;
}

}  // namespace
}  // namespace cbit

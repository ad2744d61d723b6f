// Text from outside cbit (a snapshot's strings, page-map labels, kernel log lines, names read
// from files, error messages quoting them) made safe to print: a terminal must not take any of it
// as a command (an ESC sequence can rewrite the screen, set the window title or, on some
// terminals, answer back), and one line must stay one line.
//
// Escaped: C0 controls and DEL (\n, \r, \t, \e and \xNN), C1 controls however encoded (a raw
// byte 0x80-0x9f or UTF-8 U+0080-U+009F, as \u{NN}), bytes that are not UTF-8 (\xNN), and the
// Unicode bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) and line/paragraph
// separators (U+2028, U+2029), which reorder or break what is shown (CVE-2021-42574). Other
// UTF-8, printable ASCII and the backslash pass unchanged.
#pragma once
#include <string>
#include <string_view>

namespace cbit {

std::string printable(std::string_view text);

}  // namespace cbit

// The attack rows' fixed-size guest records: the string, then zeros; cut at the record size.
#include "attacks/guest_record.h"

#include <gtest/gtest.h>

namespace cbit::attacks {
namespace {

TEST(GuestRecord, ZeroPaddedToItsSizeAndCutAtIt) {
  EXPECT_EQ(guest_record("ab", 4), (Bytes{'a', 'b', 0, 0}));
  EXPECT_EQ(guest_record("abcd", 4), (Bytes{'a', 'b', 'c', 'd'}));
  EXPECT_EQ(guest_record("abcdef", 4), (Bytes{'a', 'b', 'c', 'd'}));
  EXPECT_EQ(guest_record("", 2), (Bytes{0, 0}));
}

}  // namespace
}  // namespace cbit::attacks

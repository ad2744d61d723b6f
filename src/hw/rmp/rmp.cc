#include "hw/rmp/rmp.h"

namespace cbit::hw::rmp {

void Rmp::enable(const RmpBounds& bounds) {
  if (table_) {
    if (!(table_->bounds() == bounds)) mismatch_ = true;
    return;
  }
  table_.emplace(dram_, bounds);
}

void Rmp::reset() {
  table_.reset();
  mismatch_ = false;
  in_use_.clear();
}

}  // namespace cbit::hw::rmp

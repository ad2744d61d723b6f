#include "psp/report/tcb_version.h"

#include <fmt/format.h>

namespace cbit::psp {

namespace {
uint8_t byte_at(uint64_t raw, int i) { return static_cast<uint8_t>(raw >> (8 * i)); }
uint64_t put(uint8_t v, int i) { return uint64_t{v} << (8 * i); }
}  // namespace

const char* tcb_layout_name(TcbLayout layout) {
  return layout == TcbLayout::Turin ? "Turin" : "Milan/Genoa";
}

TcbVersion TcbVersion::decode(uint64_t raw, TcbLayout layout) {
  TcbVersion t;
  if (layout == TcbLayout::Turin) {
    t.fmc = byte_at(raw, 0);
    t.bootloader = byte_at(raw, 1);
    t.tee = byte_at(raw, 2);
    t.snp = byte_at(raw, 3);
  } else {
    t.bootloader = byte_at(raw, 0);
    t.tee = byte_at(raw, 1);
    t.snp = byte_at(raw, 6);
  }
  t.microcode = byte_at(raw, 7);
  return t;
}

uint64_t TcbVersion::encode(TcbLayout layout) const {
  if (layout == TcbLayout::Turin)
    return put(fmc.value_or(0), 0) | put(bootloader, 1) | put(tee, 2) | put(snp, 3) |
           put(microcode, 7);
  return put(bootloader, 0) | put(tee, 1) | put(snp, 6) | put(microcode, 7);
}

std::string to_string(const TcbVersion& t) {
  std::string s = t.fmc ? fmt::format("fmc={} ", *t.fmc) : std::string();
  return s + fmt::format("bl={} tee={} snp={} ucode={}", t.bootloader, t.tee, t.snp, t.microcode);
}

}  // namespace cbit::psp

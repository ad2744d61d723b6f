#include "psp/digest/sev_hashes.h"

#include <algorithm>

#include "common/file.h"
#include "psp/digest/ovmf.h"

namespace cbit::psp::digest {

namespace {
const Guid kTableHeader = Guid::parse("9438d606-4f22-4cc9-b479-a793d411fd21");
const Guid kKernelEntry = Guid::parse("4de79437-abd2-427f-b835-d5b172d2045b");
const Guid kInitrdEntry = Guid::parse("44baf731-3a2f-4bd7-9af1-41e29169781d");
const Guid kCmdlineEntry = Guid::parse("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");
constexpr uint16_t kEntrySize = 16 + 2 + 32;

void put_entry(Bytes& out, const Guid& g, const crypto::Sha256Digest& h) {
  out.insert(out.end(), g.bytes.begin(), g.bytes.end());
  out.push_back(uint8_t(kEntrySize & 0xff));
  out.push_back(uint8_t(kEntrySize >> 8));
  out.insert(out.end(), h.begin(), h.end());
}
}  // namespace

SevHashes SevHashes::from_contents(ByteSpan kernel, ByteSpan initrd, std::string_view cmdline) {
  SevHashes h;
  h.kernel = crypto::sha256(kernel);
  h.initrd = crypto::sha256(initrd);
  std::string c(cmdline);
  c.push_back('\0');
  h.cmdline = crypto::sha256(as_bytes(c));
  return h;
}

SevHashes SevHashes::from_files(const std::string& kernel, const std::string& initrd,
                                const std::optional<std::string>& cmdline) {
  const Bytes k = read_file(kernel, inputs::kKernel);
  const Bytes i = initrd.empty() ? Bytes{} : read_file(initrd, inputs::kInitrd);
  return from_contents(k, i, cmdline.value_or(""));
}

Bytes SevHashes::table() const {
  Bytes out;
  out.reserve(kSevHashTablePaddedSize);
  out.insert(out.end(), kTableHeader.bytes.begin(), kTableHeader.bytes.end());
  out.push_back(uint8_t(kSevHashTableSize & 0xff));
  out.push_back(uint8_t(kSevHashTableSize >> 8));
  put_entry(out, kCmdlineEntry, cmdline);
  put_entry(out, kInitrdEntry, initrd);
  put_entry(out, kKernelEntry, kernel);
  out.resize(kSevHashTablePaddedSize, 0);
  return out;
}

std::optional<Bytes> SevHashes::page(uint32_t offset) const {
  if (offset + kSevHashTablePaddedSize > 4096) return std::nullopt;
  Bytes p(4096, 0);
  const Bytes t = table();
  std::copy(t.begin(), t.end(), p.begin() + offset);
  return p;
}

}  // namespace cbit::psp::digest

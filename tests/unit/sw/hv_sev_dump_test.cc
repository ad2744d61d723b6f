// QEMU-style dump-guest-memory ELF cores: one PT_LOAD per memslot at its GPA, bytes as the
// hypervisor sees them, read back by cbit scan's dump reader; bad paths leave nothing behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>

#include "common/error.h"
#include "hv_sev_rig.h"
#include "sw/hv/dump.h"
#include "sw/hv/vm_memory.h"
#include "tools/scan/dump_reader.h"

namespace cbit::sw::hv::test {
namespace {

using psp::digest::SevMode;
namespace fs = std::filesystem;

Bytes file_bytes(const std::string& path, uint64_t off, uint64_t n) {
  tools::scan::DumpFile f(path);
  Bytes b(n);
  f.read_at(off, b);
  return b;
}

TEST(HvSev, DumpOfALaunchedGuestHasOneLoadPerSlotWithTheHypervisorsBytes) {
  if (!fs::exists(kOvmf))
    GTEST_FAIL() << kOvmf << " is missing: scripts/install-deps.sh installs the ovmf package";
  HostRig r;
  const Bytes image = ovmf_image();
  OwnedLaunch l(r, SevMode::Sev, 1, image, 0x1, 1ull << 20);
  l.launch.sev_launch_finish();
  VmMemory& mem = l.launch.memory();
  const Bytes hello = {'h', 'e', 'l', 'l', 'o', ' ', 'h', 'v'};
  mem.write(GuestPhysAddr(0x2000), hello);  // a shared page: plaintext for everyone
  TempDir d;
  const std::string path = d.path + "/guest.core";
  dump_guest_memory(mem, path);

  const auto layout = tools::scan::read_dump_layout(path);
  EXPECT_EQ(layout.format, tools::scan::DumpFormat::ElfCore);
  EXPECT_EQ(layout.elf_class, 64);
  ASSERT_EQ(layout.segments.size(), mem.slots().size());
  for (size_t i = 0; i < layout.segments.size(); ++i) {
    const auto& seg = layout.segments[i];
    const MemSlot& s = mem.slots()[i];
    EXPECT_EQ(seg.gpa, s.gpa.value) << s.name;
    EXPECT_EQ(seg.mem_size, s.size);
    EXPECT_EQ(seg.file_size, s.size);
    Bytes want(s.size);
    mem.read(s.gpa, want);
    EXPECT_EQ(file_bytes(path, seg.file_offset, seg.file_size), want) << s.name;
  }
  // What the dump shows: the shared page's plaintext, and not the firmware's.
  const Bytes dumped_ram = file_bytes(path, layout.segments[0].file_offset, 1ull << 20);
  EXPECT_EQ(count_occurrences(dumped_ram, hello), 1u);
  const Bytes dumped_flash =
      file_bytes(path, layout.segments[1].file_offset, layout.segments[1].file_size);
  EXPECT_EQ(count_occurrences(dumped_flash, ByteSpan(image).last(64)), 0u);
  EXPECT_TRUE(read_core_notes(path).empty());  // no vCPU registers given: empty PT_NOTE
  // The ELF header: ET_CORE, EM_X86_64, little-endian ELF64.
  const Bytes eh = file_bytes(path, 0, 64);
  EXPECT_EQ(eh[4], 2);                        // ELFCLASS64
  EXPECT_EQ(eh[5], 1);                        // ELFDATA2LSB
  EXPECT_EQ(load_le<uint16_t>(&eh[16]), 4);   // ET_CORE
  EXPECT_EQ(load_le<uint16_t>(&eh[18]), 62);  // EM_X86_64
}

TEST(HvSev, DumpNotesCarryTheVcpuRegisters) {
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("ram", GuestPhysAddr(0x100000), 64 * 1024);
  std::vector<hw::GprFile> vcpus(2);
  vcpus[0].rip = 0xfff0;
  vcpus[0].rdx = 0xa00f11;
  vcpus[1].rip = 0x1234;
  vcpus[1].rsp = 0x7000;
  vcpus[1].r15 = 0x1515;
  TempDir d;
  const std::string path = d.path + "/regs.core";
  dump_guest_memory(mem, path, vcpus);
  const auto notes = read_core_notes(path);
  ASSERT_EQ(notes.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(notes[i].name, "CORE");
    EXPECT_EQ(notes[i].type, kNtPrstatus);
    uint32_t pid = 0;
    EXPECT_EQ(prstatus_regs(notes[i], &pid), vcpus[i]);
    EXPECT_EQ(pid, i + 1);
  }
  const auto layout = tools::scan::read_dump_layout(path);
  ASSERT_EQ(layout.segments.size(), 1u);
  EXPECT_EQ(layout.segments[0].gpa, 0x100000u);
  EXPECT_EQ(layout.segments[0].file_size, 64u * 1024);
  CoreNote bad = notes[0];
  bad.desc.resize(100);
  EXPECT_THROW(prstatus_regs(bad, nullptr), InputError);
}

TEST(HvSev, DumpToABadPathIsAnInputErrorAndLeavesNothing) {
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("ram", GuestPhysAddr(0), 16 * 1024);
  TempDir d;
  const std::string missing_dir = d.path + "/no/such/dir/guest.core";
  EXPECT_THROW(dump_guest_memory(mem, missing_dir), InputError);
  EXPECT_THROW(dump_guest_memory(mem, d.path), InputError);  // a directory
  try {
    dump_guest_memory(mem, missing_dir);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir), std::string::npos) << e.what();
  }
  // Nothing half-written: the scratch directory is still empty.
  EXPECT_TRUE(fs::is_empty(d.path));
  // A dump over an existing file replaces it whole, and leaves no temporary beside it.
  const std::string path = d.path + "/guest.core";
  dump_guest_memory(mem, path);
  const auto size = fs::file_size(path);
  VmMemory other(r.k);
  other.add_slot("ram", GuestPhysAddr(0), 16 * 1024);
  other.add_slot("high", GuestPhysAddr(1ull << 40), 4096);
  dump_guest_memory(other, path);
  EXPECT_EQ(fs::file_size(path), size + 4096 + 56);  // one more PT_LOAD and its page
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator{}), 1);
  EXPECT_EQ(tools::scan::read_dump_layout(path).segments.size(), 2u);
  EXPECT_THROW(read_core_notes(d.path + "/absent.core"), InputError);
}

TEST(HvSev, DumpToAFifoOrDevNullIsWrittenThroughInFileOrder) {
  // libelf's headers come from an anonymous memory file, so a stream gets the same core bytes.
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("ram", GuestPhysAddr(0), 64 * 1024);
  mem.add_slot("high", GuestPhysAddr(1ull << 32), 8192);
  mem.write(GuestPhysAddr(0x1000), as_bytes("in the ram slot"));
  mem.write(GuestPhysAddr((1ull << 32) + 16), as_bytes("in the high slot"));
  hw::GprFile regs;
  regs.rip = 0xfff0;
  TempDir d;
  const std::string file = d.path + "/guest.core", fifo = d.path + "/fifo";
  dump_guest_memory(mem, file, {regs});
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] {
    std::ifstream in(fifo, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  });
  dump_guest_memory(mem, fifo, {regs});
  const std::string streamed = reader.get();
  std::ifstream in(file, std::ios::binary);
  const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(whole.size(), 72u * 1024);
  EXPECT_EQ(streamed, whole);
  EXPECT_NE(whole.find("in the high slot"), std::string::npos);
  dump_guest_memory(mem, "/dev/null", {regs});
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_TRUE(fs::is_fifo(fifo));
}

}  // namespace
}  // namespace cbit::sw::hv::test

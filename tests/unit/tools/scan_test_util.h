// Helpers shared by the scan tests: temporary files, an ELF core writer that lays files out the
// way QEMU's dump-guest-memory does (ELF header, PT_NOTE, PT_LOADs with p_paddr = GPA, then the
// note and memory blocks), real AES ciphertext from OpenSSL, and a collecting sink.
#pragma once
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "tools/scan/scanner.h"

namespace cbit::tools::scan::testing {

inline std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("cbit-scan-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(
          std::filesystem::temp_directory_path() / ("cbit-scan-test-" + std::to_string(::getpid())),
          ec);
    });
    return d;
  }();
  return dir;
}

inline std::string write_temp(const std::string& name, ByteSpan data) {
  const auto path = (temp_dir() / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return path;
}

// AES-128-XTS (SEV's XEX mode family) over `n` bytes of plaintext, tweak = page number.
inline Bytes aes_xts_pages(ByteSpan plain, uint64_t first_page = 0) {
  static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  Bytes out(plain.size());
  for (size_t off = 0; off < plain.size(); off += 4096) {
    uint8_t iv[16] = {};
    const uint64_t page = first_page + off / 4096;
    std::memcpy(iv, &page, sizeof page);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    const int n = static_cast<int>(std::min<size_t>(4096, plain.size() - off));
    if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_128_xts(), nullptr, key, iv) != 1 ||
        EVP_EncryptUpdate(ctx, out.data() + off, &len, plain.data() + off, n) != 1 ||
        EVP_EncryptFinal_ex(ctx, out.data() + off + len, &fin) != 1)
      std::abort();
    EVP_CIPHER_CTX_free(ctx);
  }
  return out;
}

inline Bytes text_bytes(size_t n) {
  static const std::string para =
      "The quick brown fox jumps over the lazy dog. Memory encryption protects a guest's pages "
      "from a host that reads DRAM; shared pages are readable by design.\n";
  Bytes out;
  while (out.size() < n) out.insert(out.end(), para.begin(), para.end());
  out.resize(n);
  return out;
}

struct LoadSpec {
  uint64_t gpa;
  Bytes data;             // the bytes stored in the file (p_filesz = data.size())
  uint64_t mem_size = 0;  // p_memsz; 0 means data.size()
};

// Writes an ELF core like QEMU's: ELF header, program headers (PT_NOTE first), the note, then the
// memory blocks, page-aligned. Returns the path.
inline std::string write_elf_core(const std::string& name, const std::vector<LoadSpec>& loads,
                                  int elf_class = ELFCLASS64, int e_type = ET_CORE) {
  const auto path = (temp_dir() / name).string();
  elf_version(EV_CURRENT);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  Elf* e = elf_begin(fd, ELF_C_WRITE, nullptr);
  gelf_newehdr(e, elf_class);
  GElf_Ehdr eh;
  gelf_getehdr(e, &eh);
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = static_cast<GElf_Half>(e_type);
  eh.e_machine = elf_class == ELFCLASS64 ? EM_X86_64 : EM_386;
  eh.e_version = EV_CURRENT;
  const size_t ehsize = elf_class == ELFCLASS64 ? 64 : 52;
  const size_t phsize = elf_class == ELFCLASS64 ? 56 : 32;
  eh.e_phoff = ehsize;
  gelf_update_ehdr(e, &eh);
  gelf_newphdr(e, loads.size() + 1);
  const uint64_t note_off = ehsize + phsize * (loads.size() + 1);
  const Bytes note(64, 0);  // a stand-in note: the scanner does not read notes
  GElf_Phdr ph{};
  ph.p_type = PT_NOTE;
  ph.p_offset = note_off;
  ph.p_filesz = ph.p_memsz = note.size();
  gelf_update_phdr(e, 0, &ph);
  uint64_t off = (note_off + note.size() + 4095) / 4096 * 4096;
  std::vector<uint64_t> offsets;
  for (size_t i = 0; i < loads.size(); ++i) {
    GElf_Phdr p{};
    p.p_type = PT_LOAD;
    p.p_offset = off;
    p.p_paddr = loads[i].gpa;
    p.p_filesz = loads[i].data.size();
    p.p_memsz = loads[i].mem_size ? loads[i].mem_size : loads[i].data.size();
    gelf_update_phdr(e, static_cast<int>(i + 1), &p);
    offsets.push_back(off);
    off += (loads[i].data.size() + 4095) / 4096 * 4096;
  }
  elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT);
  if (elf_update(e, ELF_C_WRITE) < 0) std::abort();
  elf_end(e);
  if (::pwrite(fd, note.data(), note.size(), static_cast<off_t>(note_off)) < 0) std::abort();
  for (size_t i = 0; i < loads.size(); ++i)
    if (!loads[i].data.empty() &&
        ::pwrite(fd, loads[i].data.data(), loads[i].data.size(), static_cast<off_t>(offsets[i])) !=
            static_cast<ssize_t>(loads[i].data.size()))
      std::abort();
  ::close(fd);
  return path;
}

struct Collect : ScanSink {
  std::vector<PageRange> ranges;
  std::vector<Match> matches;
  void on_range(const PageRange& r) override { ranges.push_back(r); }
  void on_match(const Match& m) override { matches.push_back(m); }
};

struct ScanResult {
  ScanTotals totals;
  Collect got;
};

inline ScanResult scan_path(const std::string& path, std::vector<Pattern> patterns,
                            const PageMap& map = {}, ScanOptions opt = {}) {
  const DumpLayout layout = read_dump_layout(path);
  const DumpFile file(path);
  const Matcher matcher(std::move(patterns));
  ScanResult r;
  r.totals = scan_dump(file, layout, matcher, map, opt, r.got);
  return r;
}

}  // namespace cbit::tools::scan::testing

#include "sw/guest/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "common/error.h"
#include "common/trace.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"

namespace cbit::sw::guest {

namespace {
constexpr uint64_t k1MiB = 1ull << 20;
constexpr uint64_t k2MiB = 2ull << 20;
constexpr int kEinval = 22, kEio = 5, kEnodev = 19;
// The largest cbit-blk request the driver issues (like a queue's max_sectors): 32 KiB.
constexpr uint64_t kBlkMaxSectors = 64;
constexpr uint32_t MSR_IA32_APICBASE = 0x1B;
// CPUID Fn8000_001F EAX bits (SPEC-FACTS "CPUID Fn8000_001F").
constexpr uint32_t kCpuidSev = 1u << 1;
constexpr uint32_t kCpuidSmeCoherent = 1u << 10;

// A kernel panic unwinds to run(), which stops the kernel (the CPU idles in HLT from then on).
struct GuestPanic {
  std::string why;
};
}  // namespace

const char* to_string(ProgramRun::State s) {
  switch (s) {
    case ProgramRun::State::NotFound:
      return "not found";
    case ProgramRun::State::BadExecutable:
      return "bad executable";
    case ProgramRun::State::Exited:
      return "exited";
    case ProgramRun::State::Paused:
      return "paused";
    case ProgramRun::State::Killed:
      return "killed";
  }
  return "?";
}

// Page-table entries as the kernel reads and writes them: with its CPU, at the address it uses
// for the table now (the GPA before paging, the direct map after).
class GuestKernel::CpuPteIo final : public PteIo {
 public:
  explicit CpuPteIo(GuestKernel& k) : k_(k) {}
  uint64_t read_pte(GuestPhysAddr where) override {
    uint8_t b[8];
    k_.cpu_->read_virt(k_.kaddr(where), b);
    return load_le<uint64_t>(b);
  }
  void write_pte(GuestPhysAddr where, uint64_t value) override {
    uint8_t b[8];
    store_le(b, value);
    k_.cpu_->write_virt(k_.kaddr(where), b);
  }
  void write_table(GuestPhysAddr table, const uint64_t (&entries)[512]) override {
    uint8_t b[kPageSize];
    for (size_t i = 0; i < 512; ++i) store_le(b + 8 * i, entries[i]);
    k_.cpu_->write_virt(k_.kaddr(table), b);
  }

 private:
  GuestKernel& k_;
};

void GuestKernel::queue(Task task) { tasks_.push_back(std::move(task)); }

void GuestKernel::run(hw::Cpu& cpu) {
  cpu_ = &cpu;
  if (panicked_) return;  // a panicked kernel only halts
  try {
    try {
      if (!booted_) boot();
      while (!tasks_.empty()) {
        Task t = std::move(tasks_.front());
        tasks_.pop_front();
        t(*this);
      }
    } catch (const hw::VmmCommunication& vc) {
      // A #VC in kernel code that no instruction handler took: under SNP a memory access to a
      // page that is no longer validated (PAGE_NOT_VALIDATED, 0x404) — the remap attack.
      vc_unhandled(vc);
    }
  } catch (const GuestPanic& p) {
    panicked_ = true;
    dmesg_.push_back(fmt::format("[{:12.6f}] Kernel panic - not syncing: {}", uptime_, p.why));
  }
}

void GuestKernel::panic(const std::string& why) { throw GuestPanic{why}; }

// --- printk and the console ---

void GuestKernel::printk(std::string line) {
  dmesg_.push_back(fmt::format("[{:12.6f}] {}", uptime_, line));
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kGuestKernel, "printk", "printk", {{"line", line}});
  uptime_ += 0.000731;
  if (console_registered_) {
    console_line(dmesg_.back());
    console_replayed_ = dmesg_.size();
  }
}

void GuestKernel::console_line(const std::string& line) {
  tty_write(as_bytes(line));
  tty_write(as_bytes("\n"));
}

// The 8250 driver's output: one OUT per byte to the transmit register of COM1.
void GuestKernel::tty_write(ByteSpan bytes) {
  for (uint8_t b : bytes) {
    outb(kCom1Port, b);
    console_.push_back(static_cast<char>(b));
  }
}

// register_console(): the new console prints the log buffer so far.
void GuestKernel::register_console() {
  console_registered_ = true;
  for (; console_replayed_ < dmesg_.size(); ++console_replayed_)
    console_line(dmesg_[console_replayed_]);
  printk("printk: console [ttyS0] enabled");
}

// --- boot ---

// parse_early_param() for the parameters this model has: accept_memory=lazy|eager (mm/mm_init.c
// accept_memory_parse(); any other value is -EINVAL, which do_early_param() reports and ignores).
void GuestKernel::parse_cmdline() {
  size_t at = 0;
  while (at < cfg_.cmdline.size()) {
    size_t end = cfg_.cmdline.find(' ', at);
    if (end == std::string::npos) end = cfg_.cmdline.size();
    const std::string word = cfg_.cmdline.substr(at, end - at);
    at = end + 1;
    constexpr std::string_view kAccept = "accept_memory=";
    if (word.rfind(kAccept, 0) != 0) continue;
    const std::string v = word.substr(kAccept.size());
    if (v == "lazy")
      lazy_accept_ = true;
    else if (v == "eager")
      lazy_accept_ = false;
    else
      printk("Malformed early option 'accept_memory'");
  }
}

void GuestKernel::boot() {
  printk("Linux version cbit-guest (cbit model of the Linux x86-64 guest kernel)");
  printk("Command line: " + cfg_.cmdline);
  parse_cmdline();
  sev_enable();
  // The pages the launch placed in RAM (CPUID, secrets, firmware data) are the firmware's
  // (e820-reserved in Linux): the page allocator starts above the highest of them.
  uint64_t first = k1MiB;
  const auto reserve = [&](GuestPhysAddr s, uint64_t len) {
    if (s.value < cfg_.ram_bytes)
      first = std::max(first, (s.value + len + kPageSize - 1) & ~(kPageSize - 1));
  };
  if (cfg_.snp_cpuid_page) reserve(*cfg_.snp_cpuid_page, kPageSize);
  if (cfg_.snp_secrets_page) reserve(*cfg_.snp_secrets_page, kPageSize);
  for (const auto& [s, len] : cfg_.snp_prevalidated) reserve(s, len);
  if (first >= cfg_.ram_bytes) panic("no RAM left above the launch's pages");
  pages_.emplace(Pfn(first >> kPageShift), Pfn(cfg_.ram_bytes >> kPageShift));
  if (sev_snp_active()) snp_setup_unaccepted_memory();
  setup_direct_map();
  enable_paging();
  if (sev_es_active()) sev_es_setup_ghcb();
  register_console();
  if (sev_snp_active()) {
    snp_read_secrets_page();
    report_snp_info();
  }
  identify_cpu();
  // The local APIC's base (init_apic_mappings): an intercepted MSR, a #VC under SEV-ES.
  (void)rdmsr(MSR_IA32_APICBASE);
  swiotlb_init();
  mem_encrypt_init();
  cbit_blk_probe();
  booted_ = true;
}

// arch/x86/kernel/cpu/common.c identify_cpu() + print_cpu_info(): CPUID 0 and 1 (under
// SEV-ES each a #VC handled through the GHCB, exit code 0x72).
void GuestKernel::identify_cpu() {
  const auto v = cpuid(0);
  char vendor[13] = {};
  store_le(reinterpret_cast<uint8_t*>(vendor), v.ebx);
  store_le(reinterpret_cast<uint8_t*>(vendor) + 4, v.edx);
  store_le(reinterpret_cast<uint8_t*>(vendor) + 8, v.ecx);
  const uint32_t sig = cpuid(1).eax;
  uint32_t family = sig >> 8 & 0xf, model = sig >> 4 & 0xf;
  if (family == 0xf) family += sig >> 20 & 0xff;
  if (family >= 0xf) model |= (sig >> 16 & 0xf) << 4;
  printk(fmt::format("smpboot: CPU0: {} (family: {:#x}, model: {:#x}, stepping: {:#x})",
                     std::string(vendor) == "AuthenticAMD" ? "AMD" : vendor, family, model,
                     sig & 0xf));
}

// arch/x86/boot/compressed/sev.c sev_enable() and mem_encrypt_identity.c: is this an SEV
// guest, and where is the C-bit?
//
// SEV-SNP (Linux 6.x): a CC blob names the CPUID page, and setup_cpuid_table() runs first, so
// the two CPUIDs below already come from the firmware-checked table. SNP then needs GHCB
// protocol 2 and the hypervisor's SNP feature (snp_init: get_hv_features()).
void GuestKernel::sev_enable() {
  const bool snp_blob = cfg_.snp_cpuid_page.has_value();
  if (snp_blob) snp_setup_cpuid_table();
  if (cpuid(0x80000000).eax < 0x8000001f) return;
  const auto leaf = cpuid(0x8000001f);
  if (!(leaf.eax & kCpuidSev)) {
    if (snp_blob) {
      printk("SEV-SNP support indicated by CC blob, but not CPUID.");
      panic("SEV-SNP support indicated by CC blob, but not CPUID.");
    }
    return;
  }
  sme_coherent_ = leaf.eax & kCpuidSmeCoherent;
  // SEV_STATUS is never intercepted: the guest learns from the CPU, not the hypervisor.
  const uint64_t status = rdmsr(hw::msr::kSevStatus);
  if (!(status & 1)) return;
  sev_status_ = status;
  const unsigned cbit = leaf.ebx & 0x3f;
  if (sev_es_active()) sev_es_negotiate_protocol(cbit);
  if (snp_blob && !sev_snp_active())
    panic("SEV-SNP supported indicated by CC blob, but not SEV status MSR.");
  if (sev_snp_active()) snp_init();
  sme_me_mask_ = 1ull << cbit;
}

PteIo& GuestKernel::pte_io() { return *pte_io_; }

GuestPhysAddr GuestKernel::alloc_zeroed_table() {
  const auto pfn = pages_->alloc_pages(0);
  if (!pfn) panic("Out of memory for page tables");
  const GuestPhysAddr pa(pfn->value << kPageShift);
  accept_memory(pa, pa + kPageSize);
  clear_page(pa);
  return pa;
}

void GuestKernel::clear_page(GuestPhysAddr pa) {
  static const uint8_t zero[kPageSize] = {};
  cpu_->write_virt(kaddr(pa), zero);
}

// The direct map of all guest RAM at PAGE_OFFSET, every entry with _PAGE_ENC: kernel memory is
// private. Written with paging off, so each store is private by force (APM §15.34.5).
void GuestKernel::setup_direct_map() {
  pte_io_ = std::make_unique<CpuPteIo>(*this);
  pgt_.emplace(
      *pte_io_, [this] { return alloc_zeroed_table(); }, sme_me_mask_);
  const uint64_t big = cfg_.ram_bytes & ~(k2MiB - 1);
  const uint64_t prot = __PAGE_KERNEL | sme_me_mask_;
  pgt_->map(VirtAddr(PAGE_OFFSET), GuestPhysAddr(0), big, prot);
  if (big < cfg_.ram_bytes)
    pgt_->map(VirtAddr(PAGE_OFFSET + big), GuestPhysAddr(big), cfg_.ram_bytes - big, prot, false);
}

// Long mode: EFER.LME, CR4.PAE, CR3 (the PGD with the C-bit, __sme_pa), CR0.PG.
void GuestKernel::enable_paging() {
  // KVM shows a guest without nested SVM its EFER with SVME clear (the VMCB's copy keeps it),
  // so the value Linux writes back has SVME clear too.
  const uint64_t efer =
      (rdmsr(hw::msr::kEfer) & ~hw::efer::kSvme) | hw::efer::kLme | hw::efer::kNxe | hw::efer::kSce;
  wrmsr(hw::msr::kEfer, efer);
  cpu_->mov_to_cr4(cpu_->cr4() | hw::cr4::kPae);
  cpu_->mov_to_cr3(pgt_->cr3());
  cpu_->mov_to_cr0(cpu_->cr0() | hw::cr0::kPe | hw::cr0::kPg | hw::cr0::kWp);
  paging_ = true;
}

// kernel/dma/swiotlb.c swiotlb_init(): the pool, still private (it is decrypted later, in
// mem_encrypt_init, as Linux does). swiotlb=noforce prints nothing; the mapped line shows
// [start, end) with end = start + size, as %#010llx up to 5.4 (the SEV guest's 4.15-era
// kernel) and %pa from 5.10 (the SEV-ES guest's).
void GuestKernel::swiotlb_init() {
  if (cfg_.swiotlb_bytes == 0) return;
  unsigned order = 0;
  while ((kPageSize << order) < cfg_.swiotlb_bytes) ++order;
  const auto pfn = pages_->alloc_pages(order);
  if (!pfn) {
    printk("software IO TLB: Cannot allocate buffer");
    return;
  }
  const uint64_t bytes = kPageSize << order;
  accept_memory(GuestPhysAddr(pfn->value << kPageShift),
                GuestPhysAddr((pfn->value << kPageShift) + bytes));
  swiotlb_.emplace(GuestPhysAddr(pfn->value << kPageShift), bytes);
  const uint64_t start = swiotlb_->start().value;
  printk(sev_es_active() ? fmt::format("software IO TLB: mapped [mem {:#018x}-{:#018x}] ({}MB)",
                                       start, start + bytes, bytes >> 20)
                         : fmt::format("software IO TLB: mapped [mem {:#010x}-{:#010x}] ({}MB)",
                                       start, start + bytes, bytes >> 20));
}

// arch/x86/mm/mem_encrypt.c mem_encrypt_init(): swiotlb_update_mem_attributes() makes the pool
// shared (and clears it: its old bytes now read as ciphertext), then the feature line.
void GuestKernel::mem_encrypt_init() {
  if (!sme_me_mask_) return;
  if (swiotlb_) {
    const VirtAddr va = __va(swiotlb_->start());
    const int n = static_cast<int>(swiotlb_->bytes() / kPageSize);
    if (set_memory_decrypted(va, n) != 0) panic("swiotlb: cannot decrypt the bounce pool");
    const Bytes zero(swiotlb_->bytes(), 0);
    memcpy_to(va, zero);
  }
  print_mem_encrypt_feature_info();
}

void GuestKernel::print_mem_encrypt_feature_info() {
  if (sev_snp_active()) {
    // Linux 6.x: print_mem_encrypt_feature_info() and sev_show_status().
    printk("Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP");
    printk("SEV: Status: SEV SEV-ES SEV-SNP ");
  } else if (sev_es_active())
    printk("AMD Memory Encryption Features active: SEV SEV-ES");  // Linux 5.10
  else if (sev_active())
    printk("AMD Secure Encrypted Virtualization (SEV) active");  // Linux 4.15 .. 5.9
}

// --- memory ---

std::optional<VirtAddr> GuestKernel::alloc_pages(unsigned order) {
  const auto pfn = pages_->alloc_pages(order);
  if (!pfn) return std::nullopt;
  const GuestPhysAddr pa(pfn->value << kPageShift);
  accept_memory(pa, pa + (kPageSize << order));  // the page allocator's accept on first use
  for (uint64_t i = 0; i < (1ull << order); ++i) clear_page(pa + i * kPageSize);
  return __va(pa);
}

void GuestKernel::free_pages(VirtAddr addr, unsigned order) {
  pages_->free_pages(Pfn(__pa(addr).pfn()), order);
}

uint64_t GuestKernel::nr_free_pages() const { return pages_ ? pages_->free_frames() : 0; }

void GuestKernel::memcpy_to(VirtAddr dst, ByteSpan src) { cpu_->write_virt(dst, src); }
void GuestKernel::memcpy_from(VirtAddr src, MutByteSpan dst) { cpu_->read_virt(src, dst); }

// arch/x86/mm/pat/set_memory.c __set_memory_enc_pgtable(): flush the caches (the lines under
// the old key must not be written back over the page later: enc_cache_flush_required() is
// !SME_COHERENT), flip _PAGE_ENC in each PTE (splitting 2 MiB pages), flush the TLB, and tell
// the hypervisor (enc_status_change_finish -> notify_page_enc_status_changed).
int GuestKernel::set_memory_enc_dec(VirtAddr addr, int numpages, bool enc, bool notify) {
  if (!sme_me_mask_) return 0;
  if (addr.page_offset() != 0 || numpages <= 0) return -kEinval;
  const uint64_t len = static_cast<uint64_t>(numpages) * kPageSize;
  for (int i = 0; i < numpages; ++i)
    if (!pgt_->lookup_address(addr + static_cast<uint64_t>(i) * kPageSize)) return -kEinval;
  // enc_status_change_prepare(): under SNP a page going shared is rescinded (PVALIDATE 0) and
  // then handed to the hypervisor, before its PTE changes (snp_set_memory_shared).
  if (sev_snp_active() && !enc) {
    pvalidate_pages(__pa(addr), static_cast<uint64_t>(numpages), false);
    snp_page_state_change(__pa(addr), static_cast<uint64_t>(numpages), false);
  }
  if (!sme_coherent_)
    for (uint64_t off = 0; off < len; off += kCacheLineSize) cpu_->clflush(addr + off);
  for (int i = 0; i < numpages; ++i) {
    const VirtAddr va = addr + static_cast<uint64_t>(i) * kPageSize;
    auto e = pgt_->lookup_address(va);
    if (!e) return -kEinval;
    if (e->level == PgLevel::Pmd) e = pgt_->split_large_page(*e, va);
    pgt_->set_entry(e->where, enc ? (e->value | sme_me_mask_) : (e->value & ~sme_me_mask_));
  }
  cpu_->mov_to_cr3(cpu_->cr3());  // __flush_tlb_all()
  // enc_status_change_finish(): a page back to private is asked for, then validated.
  if (sev_snp_active() && enc) {
    snp_page_state_change(__pa(addr), static_cast<uint64_t>(numpages), true);
    pvalidate_pages(__pa(addr), static_cast<uint64_t>(numpages), true);
  }
  if (notify) {
    const uint64_t rc =
        kvm_hypercall(KVM_HC_MAP_GPA_RANGE, __pa(addr).value, static_cast<uint64_t>(numpages),
                      enc ? KVM_MAP_GPA_RANGE_ENCRYPTED : KVM_MAP_GPA_RANGE_DECRYPTED);
    if (rc != 0)
      printk(fmt::format("kvm: KVM_HC_MAP_GPA_RANGE({:#x}, {}) failed: {}", __pa(addr).value,
                         numpages, static_cast<int64_t>(rc)));
  }
  return 0;
}

int GuestKernel::set_memory_encrypted(VirtAddr addr, int numpages) {
  return set_memory_enc_dec(addr, numpages, true, true);
}
int GuestKernel::set_memory_decrypted(VirtAddr addr, int numpages) {
  return set_memory_enc_dec(addr, numpages, false, true);
}

// --- seed 002: a page shared with the hypervisor ---

GuestPhysAddr GuestKernel::share_page() {
  const auto va = alloc_pages(0);
  if (!va) panic("Out of memory for a shared page");
  if (set_memory_decrypted(*va, 1) != 0) panic("cannot share a page");
  clear_page(__pa(*va));  // its private zeros read as ciphertext through the shared mapping
  return __pa(*va);
}

void GuestKernel::write_shared(GuestPhysAddr page, ByteSpan msg) {
  CBIT_ASSERT(page.page_offset() + msg.size() <= kPageSize);
  memcpy_to(__va(page), msg);
}

Bytes GuestKernel::read_shared(GuestPhysAddr page, size_t len) {
  CBIT_ASSERT(page.page_offset() + len <= kPageSize);
  Bytes out(len);
  memcpy_from(__va(page), out);
  return out;
}

// --- DMA (kernel/dma/direct.c, kernel/dma/swiotlb.c) ---

DmaMapping GuestKernel::dma_map_single(VirtAddr addr, uint64_t size, DmaDirection dir) {
  DmaMapping m;
  m.orig = addr, m.size = size, m.dir = dir;
  // force_dma_unencrypted(): an SEV guest's devices cannot read private memory, so every
  // mapping bounces through the shared pool.
  if (!sev_active()) {
    m.dma_addr = __pa(addr).value;
    return m;
  }
  if (!swiotlb_) {
    printk(
        "cbit-blk: Can not allocate SWIOTLB buffer earlier and can't now provide you with the "
        "DMA bounce buffer");
    return m;
  }
  if (!bounce_warned_) {  // pr_warn_once() in swiotlb_tbl_map_single()
    bounce_warned_ = true;
    // 5.4 and later print it through swiotlb.c's pr_fmt "software IO TLB: "; seed 004's
    // 4.x kernel printed it bare.
    printk(sev_es_active() ? "software IO TLB: Memory encryption is active and system is using "
                             "DMA bounce buffers"
                           : "SEV is active and system is using DMA bounce buffers");
  }
  const auto slot = swiotlb_->map(size);
  if (!slot) {
    printk(
        fmt::format("cbit-blk: swiotlb buffer is full (sz: {} bytes), total {} (slots), used "
                    "{} (slots)",
                    size, swiotlb_->nslabs(), swiotlb_->used()));
    return m;
  }
  m.bounce = slot;
  if (dir != DmaDirection::FromDevice) {  // swiotlb_bounce(DMA_TO_DEVICE)
    Bytes tmp(size);
    memcpy_from(addr, tmp);
    memcpy_to(__va(*slot), tmp);
  }
  m.dma_addr = slot->value;  // phys_to_dma_unencrypted(): no C-bit
  return m;
}

void GuestKernel::dma_unmap_single(const DmaMapping& m) {
  if (m.error() || !m.bounce) return;
  if (m.dir != DmaDirection::ToDevice) {  // swiotlb_bounce(DMA_FROM_DEVICE)
    Bytes tmp(m.size);
    memcpy_from(__va(*m.bounce), tmp);
    memcpy_to(m.orig, tmp);
  }
  swiotlb_->unmap(*m.bounce, m.size);  // the slot's bytes stay where they are
}

// --- cbit-blk ---

// The probe: the request descriptor lives in a dma_alloc_coherent() page (decrypted under
// SEV, the device reads it), then the disk header is read.
void GuestKernel::cbit_blk_probe() {
  const auto desc = alloc_pages(0);
  if (!desc) panic("cbit-blk: out of memory");
  if (sev_active()) {
    if (set_memory_decrypted(*desc, 1) != 0) panic("cbit-blk: cannot share the request page");
    clear_page(__pa(*desc));
  }
  blk_desc_gpa_ = __pa(*desc);
  const auto sector0 = alloc_pages(0);
  if (!sector0) panic("cbit-blk: out of memory");
  if (blk_read(0, 1, *sector0) != 0) {
    printk("cbit-blk: cannot read the disk header");
    free_pages(*sector0);
    return;
  }
  Bytes hdr(kSectorSize);
  memcpy_from(*sector0, hdr);
  free_pages(*sector0);
  std::string why;
  disk_ = parse_disk_header(hdr, &why);
  if (!disk_) {
    printk("cbit-blk: no usable disk: " + why);
    return;
  }
  printk(fmt::format("cbit-blk: disk holds '{}' ({} bytes, {} sectors)", disk_->name,
                     disk_->file_size, disk_->file_sectors() + 1));
}

int GuestKernel::blk_read(uint64_t sector, uint64_t nsectors, VirtAddr dst) {
  if (!blk_desc_gpa_) return -kEnodev;
  const VirtAddr desc = __va(*blk_desc_gpa_);
  for (uint64_t done = 0; done < nsectors;) {
    const uint64_t n = std::min(kBlkMaxSectors, nsectors - done);
    const DmaMapping m =
        dma_map_single(dst + done * kSectorSize, n * kSectorSize, DmaDirection::FromDevice);
    if (m.error()) return -kEio;
    // status starts nonzero: a request the device never saw is an error, not success.
    const BlkRequest req{sector + done, static_cast<uint32_t>(n), 0xff, m.dma_addr};
    uint8_t d[BlkRequest::kSize];
    req.encode(d);
    memcpy_to(desc, d);
    outl(kBlkPort, static_cast<uint32_t>(blk_desc_gpa_->value));
    memcpy_from(desc, d);
    dma_unmap_single(m);
    if (BlkRequest::decode(d).status != 0) {
      printk(fmt::format("blk_update_request: I/O error, dev cbitblk, sector {}", sector + done));
      return -kEio;
    }
    done += n;
  }
  return 0;
}

// --- instructions (#VC for the non-automatic exits under SEV-ES: kernel_sev.cc) ---

hw::CpuidResult GuestKernel::cpuid(uint32_t leaf, uint32_t subleaf) {
  try {
    return cpu_->cpuid(leaf, subleaf);
  } catch (const hw::VmmCommunication&) {
    ++vc_count_;
    if (const auto r = snp_cpuid(leaf, subleaf)) return *r;  // SNP: the CPUID table
    return vc_handle_cpuid(leaf, subleaf);
  }
}

uint64_t GuestKernel::rdmsr(uint32_t index) {
  try {
    return cpu_->rdmsr(index);
  } catch (const hw::VmmCommunication&) {
    ++vc_count_;
    return vc_handle_msr(index, false, 0);
  }
}

void GuestKernel::wrmsr(uint32_t index, uint64_t value) {
  try {
    cpu_->wrmsr(index, value);
  } catch (const hw::VmmCommunication&) {
    ++vc_count_;
    vc_handle_msr(index, true, value);
  }
}

// OUT, and on #VC (SEV-ES) the handler: the CPU reports the #VC without a C++ throw here.
void GuestKernel::outb(uint16_t port, uint8_t value) {
  if (cpu_->out_or_vc(port, 1, value)) return;
  ++vc_count_;
  vc_handle_ioio(port, 1, value);
}

void GuestKernel::outl(uint16_t port, uint32_t value) {
  if (cpu_->out_or_vc(port, 4, value)) return;
  ++vc_count_;
  vc_handle_ioio(port, 4, value);
}

// kvm_hypercall4(): VMMCALL with the KVM ABI (nr in RAX, arguments in RBX, RCX, RDX, RSI).
uint64_t GuestKernel::kvm_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                                    uint64_t a3) {
  auto& r = cpu_->regs();
  r.rax = nr, r.rbx = a0, r.rcx = a1, r.rdx = a2, r.rsi = a3;
  try {
    cpu_->vmmcall();
  } catch (const hw::VmmCommunication&) {
    ++vc_count_;
    return vc_handle_vmmcall(nr, a0, a1, a2, a3);
  }
  return cpu_->regs().rax;
}

}  // namespace cbit::sw::guest

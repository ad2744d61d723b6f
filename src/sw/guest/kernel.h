// The guest kernel model: the guest-side Linux code of an SEV / SEV-ES virtual machine, named
// after Linux (arch/x86/mm/mem_encrypt_amd.c, arch/x86/mm/pat/set_memory.c,
// arch/x86/coco/sev/, arch/x86/kernel/sev-shared.c, kernel/dma/swiotlb.c, arch/x86/kernel/kvm.c).
// The host kernel model (sw/host/kernel.h) is its sibling.
//
// It is guest software (hw/svm/guest_software.h): VMRUN calls run(), and every instruction the
// kernel executes is a call on the simulated CPU in guest mode, so the hypervisor sees exactly
// the exits Linux would cause (CPUID, port I/O, MSRs, VMMCALL, HLT), and under SEV-ES the CPU
// raises #VC instead, which the kernel handles by talking to the hypervisor through the GHCB.
// Every data access goes through the guest's page tables and the nested walk: the C-bit the
// kernel puts in its PTEs decides what reaches DRAM under the guest's key.
//
// Boot (first run()), in Linux's order:
//   sev_enable(): CPUID 0x80000000 / 0x8000001F, SEV_STATUS; SEV-ES: GHCB protocol negotiation
//     through the GHCB MSR (early #VC: the MSR protocol, do_vc_no_ghcb); sme_me_mask = C-bit;
//   the direct map (PAGE_OFFSET, _PAGE_ENC on every entry) built with paging off, then
//     EFER.LME, CR4.PAE, CR3 (with the C-bit), CR0.PG;
//   SEV-ES: a GHCB page, made shared and registered (GHCB_MSR_REG_GPA);
//   the console on COM1 (the log so far is replayed, as register_console() does);
//   swiotlb_init() and mem_encrypt_init(): the bounce pool decrypted, the feature line;
//   the cbit-blk driver's probe, which reads the disk header through a bounce buffer.
// Then each run() executes the queued tasks in order and returns (the idle loop's HLT).
//
// Strings (docs/guest.md): an SEV guest prints what Linux 4.15 to 5.9 print (seed 004's
// "AMD Secure Encrypted Virtualization (SEV) active" from mem_encrypt_init, and swiotlb's
// "SEV is active and system is using DMA bounce buffers"); an SEV-ES guest prints what Linux
// 5.10, the first kernel with SEV-ES guest support, prints (print_mem_encrypt_feature_info:
// "AMD Memory Encryption Features active: SEV SEV-ES", and swiotlb's "Memory encryption is
// active and system is using DMA bounce buffers").
//
// Limits: one vCPU; the hypervisor must resume the guest after every exit but HLT (a kernel
// cannot be restarted in the middle of an instruction); no interrupts, no scheduler (tasks run
// to completion, a paused program stays resident but is not run again).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/cpu/cpuid.h"
#include "hw/svm/guest_software.h"
#include "sw/guest/cbit_disk.h"
#include "sw/guest/ghcb_page.h"
#include "sw/guest/pgtable.h"
#include "sw/guest/swiotlb.h"
#include "sw/host/page_alloc.h"

namespace cbit::hw {
class Cpu;
class VmmCommunication;
}  // namespace cbit::hw

namespace cbit::sw::guest {

class SevGuestDevice;
class TsmReports;

struct GuestKernelConfig {
  uint64_t ram_bytes = 32ull << 20;       // guest RAM is GPA [0, ram_bytes)
  uint64_t swiotlb_bytes = 256ull << 10;  // the bounce pool (Linux: swiotlb=<slabs>)
  // The kernel command line. Parsed: accept_memory=lazy|eager (SEV-SNP's unaccepted memory,
  // below; lazy is Linux's default).
  std::string cmdline = "console=ttyS0";
  uint64_t program_budget = 100'000'000;  // instructions one program run may execute
  // SEV-SNP: what OVMF hands the kernel in the CC blob (Linux struct cc_blob_sev_info,
  // SNP-FACTS.md §5.3): the CPUID and secrets pages the launch put in guest RAM, and the
  // guest-physical ranges the launch already validated (SNP_LAUNCH_UPDATE pages; everything
  // else is unaccepted memory, which the kernel accepts with PVALIDATE: see accept_memory()).
  std::optional<GuestPhysAddr> snp_cpuid_page, snp_secrets_page;
  std::vector<std::pair<GuestPhysAddr, uint64_t>> snp_prevalidated;  // (start, bytes)
  // sev-guest's vmpck_id module parameter: -1 = the VMPL the kernel runs at.
  int sev_guest_vmpck_id = -1;
};

// KVM's hypercall ABI (include/uapi/linux/kvm_para.h).
inline constexpr uint64_t KVM_HC_MAP_GPA_RANGE = 12;
inline constexpr uint64_t KVM_MAP_GPA_RANGE_ENCRYPTED = 1ull << 4;
inline constexpr uint64_t KVM_MAP_GPA_RANGE_DECRYPTED = 0;

enum class DmaDirection { ToDevice, FromDevice, Bidirectional };

struct DmaMapping {
  uint64_t dma_addr = ~0ull;  // DMA_MAPPING_ERROR until mapped
  VirtAddr orig;
  uint64_t size = 0;
  DmaDirection dir = DmaDirection::ToDevice;
  std::optional<GuestPhysAddr> bounce;  // the swiotlb slot, when bounced
  bool error() const { return dma_addr == ~0ull; }
};

// One program the kernel ran (queue_program), for tests and demos.
struct ProgramRun {
  std::vector<std::string> argv;
  enum class State { NotFound, BadExecutable, Exited, Paused, Killed } state = State::NotFound;
  int exit_code = 0;
  std::string output;                     // what it wrote to fds 1 and 2
  std::vector<GuestPhysAddr> user_pages;  // its private memory (text, data, stack)
  std::vector<GuestPhysAddr> page_cache;  // the file's pages in the page cache
  std::string detail;                     // why it was killed, or the loader's complaint
  // "guest kernel: unsupported system call N (name) from PROG", once per call it made
  std::vector<std::string> unsupported_syscalls;
};
const char* to_string(ProgramRun::State s);

class GuestKernel final : public hw::svm::GuestSoftware {
 public:
  using Task = std::function<void(GuestKernel&)>;

  explicit GuestKernel(GuestKernelConfig cfg = {});
  ~GuestKernel() override;
  GuestKernel(const GuestKernel&) = delete;
  GuestKernel& operator=(const GuestKernel&) = delete;

  // VMRUN's entry: boot once, then the queued tasks, then return (HLT).
  void run(hw::Cpu& cpu) override;

  // Work for the next run(): a task runs in the guest (the methods below may be used in it).
  void queue(Task task);
  // Runs argv[0] from the disk: read through the block driver into the page cache, loaded by
  // the x86 ELF loader into a new user address space (private pages, CPL 3) and executed until
  // it exits or pauses. A paused program stays resident.
  void queue_program(std::vector<std::string> argv);

  // --- in a task: the kernel's services ---
  VirtAddr __va(GuestPhysAddr pa) const { return VirtAddr(pa.value + PAGE_OFFSET); }
  GuestPhysAddr __pa(VirtAddr va) const { return GuestPhysAddr(va.value - PAGE_OFFSET); }
  // alloc_pages(GFP_KERNEL | __GFP_ZERO) + page_address(); nullopt when out of memory.
  std::optional<VirtAddr> alloc_pages(unsigned order = 0);
  void free_pages(VirtAddr addr, unsigned order = 0);
  // nr_free_pages(): the frames the allocator can still hand out.
  uint64_t nr_free_pages() const;
  // set_memory.c: the C-bit of numpages pages of the direct map, with the cache flush before,
  // the TLB flush after and KVM_HC_MAP_GPA_RANGE (notify_page_enc_status_changed). 0 or -errno;
  // a no-op returning 0 without SEV.
  int set_memory_encrypted(VirtAddr addr, int numpages);
  int set_memory_decrypted(VirtAddr addr, int numpages);
  // Kernel loads and stores through the CPU.
  void memcpy_to(VirtAddr dst, ByteSpan src);
  void memcpy_from(VirtAddr src, MutByteSpan dst);
  // The DMA API (dma-direct + swiotlb): under SEV every mapping bounces through the pool.
  DmaMapping dma_map_single(VirtAddr addr, uint64_t size, DmaDirection dir);
  void dma_unmap_single(const DmaMapping& m);
  // cbit-blk: reads nsectors from `sector` into `dst` (kernel memory). 0 or -EIO.
  int blk_read(uint64_t sector, uint64_t nsectors, VirtAddr dst);
  // kvm_hypercall4() (VMMCALL; under SEV-ES through the GHCB). Returns RAX.
  uint64_t kvm_hypercall(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                         uint64_t a3 = 0);
  // Seed 002: a page shared with the hypervisor (allocated, decrypted, its GPA announced with
  // KVM_HC_MAP_GPA_RANGE), and messages through it.
  GuestPhysAddr share_page();
  void write_shared(GuestPhysAddr page, ByteSpan msg);
  Bytes read_shared(GuestPhysAddr page, size_t len);
  void printk(std::string line);  // pr_info()
  // SEV-SNP: one PSC NAE event with `desc` (header + entries) in the GHCB's shared buffer, as
  // vmgexit_psc() issues it; returns (sw_exit_info_1, sw_exit_info_2) and the buffer as the
  // hypervisor left it. Used by set_memory_*crypted; public for tests of hostile buffers.
  std::pair<uint64_t, uint64_t> vmgexit_psc_raw(MutByteSpan desc);
  // SEV-SNP AP bring-up (arch/x86/coco/sev/core.c): snp_set_vmsa() marks (or unmarks) a page
  // of the direct map as a VMSA with RMPADJUST (target VMPL1, RMPADJUST_VMSA_PAGE_BIT),
  // returning RMPADJUST's code; snp_ap_create() is wakeup_cpu_via_vmgexit()'s AP creation
  // request (SVM_VMGEXIT_AP_CREATION, the VMSA's GPA, SEV_FEATURES in RAX): 0, or -EINVAL after
  // "SNP AP Creation error" when the hypervisor refuses.
  int snp_set_vmsa(VirtAddr va, bool make_vmsa);
  int snp_ap_create(unsigned apic_id, VirtAddr vmsa, uint64_t sev_features,
                    uint16_t request = 1 /* SVM_VMGEXIT_AP_CREATE */);
  // SEV-SNP guest requests (arch/x86/coco/sev/core.c snp_issue_guest_request): the
  // 0x80000011/0x80000012 NAE event through the GHCB. 0, -EAGAIN (VMM BUSY), -ENOSPC
  // (INVALID_LEN, *data_npages = the pages needed), -EIO; *exitinfo2 = SW_EXITINFO2.
  int snp_issue_guest_request(uint64_t exit_code, uint64_t req_gpa, uint64_t rsp_gpa,
                              uint64_t data_gpa, uint64_t* data_npages, uint64_t* exitinfo2);
  // The sev-guest driver, probed on first use (sev_guest.h); nullptr with *err = -errno when
  // the probe failed (no SNP, no secrets page, no usable VMPCK).
  SevGuestDevice* sev_guest(int* err = nullptr);
  // configfs-tsm's report entries (tsm_report.h).
  TsmReports& tsm();

  // --- observability ---
  bool booted() const { return booted_; }
  bool panicked() const { return panicked_; }
  const std::vector<std::string>& dmesg() const { return dmesg_; }
  const std::string& console() const { return console_; }  // every byte sent to COM1
  uint64_t sev_status() const { return sev_status_; }
  uint64_t sme_me_mask() const { return sme_me_mask_; }
  bool sev_active() const { return sev_status_ & 1; }
  bool sev_es_active() const { return sev_status_ & 2; }
  bool sev_snp_active() const { return sev_status_ & 4; }  // MSR_AMD64_SEV_SNP_ENABLED
  // SEV-SNP: the CPUID table the kernel copied from the CPUID page (snp_cpuid_get_table()),
  // the secrets page's version, the GHCB hypervisor features and the pages it validated.
  uint32_t snp_cpuid_count() const { return snp_cpuid_count_; }
  std::optional<uint32_t> snp_secrets_version() const { return secrets_version_; }
  uint64_t sev_hv_features() const { return hv_features_; }
  uint64_t pages_validated() const { return pvalidated_; }

  // SEV-SNP unaccepted memory (Linux 6.5+: drivers/firmware/efi/libstub/unaccepted_memory.c,
  // drivers/firmware/efi/unaccepted_memory.c, mm/mm_init.c; UEFI 2.9 EfiUnacceptedMemoryType).
  // RAM outside the launch's pages reaches the kernel unaccepted (OVMF's memory map). At boot
  // the EFI stub's process_unaccepted_memory() accepts at once what the bitmap cannot hold (a
  // range under two units, and each range's unaligned head and tail) and marks the rest in a
  // bitmap of 2 MiB units (unit_size = PMD_SIZE). With accept_memory=lazy (the default) a unit
  // is accepted when the page allocator first hands out a page in it; accept_memory=eager
  // accepts every unit at boot. Accepting is PVALIDATE of each page (arch_accept_memory, 2 MiB
  // where the RMP allows). The bitmap is the kernel's own bookkeeping; whether a page is
  // validated is the RMP's alone.
  static constexpr uint64_t kUnacceptedUnit = 2ull << 20;
  // accept_memory(): accept every unit of [start, end) the bitmap still marks, clear its bits.
  void accept_memory(GuestPhysAddr start, GuestPhysAddr end);
  bool range_contains_unaccepted_memory(GuestPhysAddr start, GuestPhysAddr end) const;
  uint64_t unaccepted_bytes() const;  // /proc/meminfo's "Unaccepted:"
  bool accept_memory_lazy() const { return lazy_accept_; }
  // The last termination request the kernel sent (set, reason), if any.
  std::optional<std::pair<unsigned, unsigned>> termination() const { return term_; }
  const SwiotlbPool* swiotlb() const { return swiotlb_ ? &*swiotlb_ : nullptr; }
  std::optional<GuestPhysAddr> ghcb_gpa() const { return ghcb_gpa_; }
  uint16_t ghcb_protocol() const { return ghcb_version_; }
  uint64_t vmgexits() const { return vmgexits_; }  // VMGEXITs the kernel executed
  uint64_t vc_exceptions() const { return vc_count_; }
  std::optional<GuestPhysAddr> blk_request_gpa() const { return blk_desc_gpa_; }
  const std::optional<DiskHeader>& disk() const { return disk_; }
  const std::vector<ProgramRun>& programs() const { return programs_; }
  GuestPhysAddr pgd() const { return pgt_->pgd(); }
  const GuestKernelConfig& config() const { return cfg_; }

  // --- instructions as the kernel executes them (#VC handled; public for the user code) ---
  hw::CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0);
  uint64_t rdmsr(uint32_t index);
  void wrmsr(uint32_t index, uint64_t value);
  void outb(uint16_t port, uint8_t value);
  void outl(uint16_t port, uint32_t value);
  hw::Cpu& cpu() { return *cpu_; }

  struct UserTask;  // a resident program (kernel_exec.cc)

 private:
  class CpuPteIo;
  friend class CpuPteIo;

  void boot();
  void sev_enable();
  void setup_direct_map();
  void enable_paging();
  void sev_es_setup_ghcb();
  void register_console();
  void identify_cpu();
  void swiotlb_init();
  void mem_encrypt_init();
  void print_mem_encrypt_feature_info();
  void cbit_blk_probe();
  void exec_program(const std::vector<std::string>& argv);

  // set_memory.c with or without the hypercall (the early GHCB flip has no GHCB to make it).
  int set_memory_enc_dec(VirtAddr addr, int numpages, bool enc, bool notify);
  // The address the kernel uses for a guest physical address now: itself with paging off, the
  // direct map after.
  VirtAddr kaddr(GuestPhysAddr pa) const { return paging_ ? __va(pa) : VirtAddr(pa.value); }
  GuestPhysAddr alloc_zeroed_table();
  PteIo& pte_io();
  void clear_page(GuestPhysAddr pa);
  void tty_write(ByteSpan bytes);
  void console_line(const std::string& line);
  [[noreturn]] void panic(const std::string& why);

  // SEV-SNP (kernel_snp.cc; Linux arch/x86/coco/sev/, sev-shared.c).
  void snp_init();               // after the protocol negotiation: HV features, CPUID table
  void snp_setup_cpuid_table();  // setup_cpuid_table(): copy and check the CPUID page
  std::optional<hw::CpuidResult> snp_cpuid(uint32_t leaf, uint32_t subleaf) const;
  // process_unaccepted_memory() over RAM the launch did not validate; eager: accept it all.
  void snp_setup_unaccepted_memory();
  void parse_cmdline();  // the early parameters this model knows (accept_memory=)
  void snp_read_secrets_page();
  void report_snp_info();  // arch_initcall: "Using SNP CPUID table, ..."
  // pvalidate_pages(): PVALIDATE each page; anything but success terminates (GHCB_TERM_PVALIDATE).
  void pvalidate_pages(GuestPhysAddr start, uint64_t npages, bool validate);
  // The page-state change of npages from start: the GHCB MSR protocol before the GHCB exists
  // (early_set_pages_state), the PSC NAE event after (set_pages_state).
  void snp_page_state_change(GuestPhysAddr start, uint64_t npages, bool to_private);
  void snp_psc_msr(GuestPhysAddr start, uint64_t npages, bool to_private);
  void snp_psc_ghcb(GuestPhysAddr start, uint64_t npages, bool to_private);
  // A #VC this kernel has no handler for (PAGE_NOT_VALIDATED 0x404 above all): Linux's
  // exc_vmm_communication_kernel() prints, asks the hypervisor to terminate, and panics.
  [[noreturn]] void vc_unhandled(const hw::VmmCommunication& vc);

  // SEV-ES (kernel_sev.cc).
  uint64_t ghcb_msr_call(uint64_t request);  // MSR protocol: request, VMGEXIT, response
  void vmgexit();
  [[noreturn]] void sev_es_terminate(unsigned set, unsigned reason);
  void sev_es_negotiate_protocol(unsigned cpuid_cbit);
  uint32_t do_vc_no_ghcb_cpuid(uint32_t leaf, unsigned reg);
  // sev_es_ghcb_hv_call(): fills the exit fields, VMGEXIT, checks the hypervisor's answer.
  void ghcb_hv_call(uint64_t exit_code, uint64_t info1, uint64_t info2);
  // The same exchange without the verdict check: sw_exit_info_1's low 32 bits.
  uint64_t ghcb_hv_exchange(uint64_t exit_code, uint64_t info1, uint64_t info2);
  void ghcb_vmgexit();  // the changed lines to the shared GHCB, VMGEXIT
  hw::CpuidResult vc_handle_cpuid(uint32_t leaf, uint32_t subleaf);
  void vc_handle_ioio(uint16_t port, unsigned size, uint32_t value);
  uint64_t vc_handle_msr(uint32_t index, bool write, uint64_t value);
  uint64_t vc_handle_vmmcall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

  GuestKernelConfig cfg_;
  hw::Cpu* cpu_ = nullptr;
  bool booted_ = false, panicked_ = false, paging_ = false;
  std::deque<Task> tasks_;

  uint64_t sev_status_ = 0;
  uint64_t sme_me_mask_ = 0;
  bool sme_coherent_ = false;  // CPUID Fn8000_001F EAX[10]: no cache flush around a C-bit flip
  std::optional<host::PageAllocator> pages_;
  std::unique_ptr<PteIo> pte_io_;  // a CpuPteIo
  std::optional<GuestPageTables> pgt_;

  // SEV-ES.
  uint16_t ghcb_version_ = 0;
  std::optional<GuestPhysAddr> ghcb_gpa_;
  GhcbPage ghcb_;  // the kernel's copy, written to the shared page at each call
  uint64_t vmgexits_ = 0, vc_count_ = 0;
  std::optional<std::pair<unsigned, unsigned>> term_;

  // SEV-SNP.
  uint64_t hv_features_ = 0;
  struct CpuidFn {
    uint32_t eax_in, ecx_in;
    hw::CpuidResult r;
  };
  std::vector<CpuidFn> snp_cpuid_table_;
  uint32_t snp_cpuid_count_ = 0;
  uint32_t snp_std_max_ = 0, snp_ext_max_ = 0;
  std::optional<uint32_t> secrets_version_;
  uint64_t pvalidated_ = 0;
  bool lazy_accept_ = true;
  std::vector<bool> unaccepted_;  // per 2 MiB unit of RAM from GPA 0: still unaccepted

  std::optional<SwiotlbPool> swiotlb_;
  bool bounce_warned_ = false;
  std::optional<GuestPhysAddr> blk_desc_gpa_;
  std::optional<DiskHeader> disk_;

  std::vector<std::string> dmesg_;
  size_t console_replayed_ = 0;
  bool console_registered_ = false;
  std::string console_;
  double uptime_ = 0.0;

  std::vector<ProgramRun> programs_;
  std::vector<std::unique_ptr<UserTask>> resident_;

  // The sev-guest driver and configfs-tsm (sev_guest.cc, tsm_report.cc).
  std::unique_ptr<SevGuestDevice> sev_guest_;
  int sev_guest_err_ = 0;
  bool sev_guest_probed_ = false;
  std::unique_ptr<TsmReports> tsm_;
};

}  // namespace cbit::sw::guest

// Running a program from the disk (Linux fs/exec.c, fs/binfmt_elf.c, mm/, the page cache):
// the file is read through the block driver into private page-cache pages, parsed by the x86
// ELF loader, and given a new address space whose user pages are private (_PAGE_ENC) and whose
// kernel half is the kernel's own; x86::Process executes it at CPL 3 with every access through
// the simulated CPU, and its system calls come back here.
#include <fmt/format.h>

#include "common/error.h"
#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"
#include "sw/guest/guest_syscalls.h"
#include "sw/guest/kernel.h"
#include "sw/guest/sev_guest.h"
#include "sw/guest/tsm_report.h"
#include "sw/guest/user_mm.h"
#include "x86/cpu_guest_memory.h"
#include "x86/elf_image.h"
#include "x86/process.h"
#include "x86/syscall_handler.h"

namespace cbit::sw::guest {

namespace {

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

// A resident program: its page tables, pages and executor.
struct GuestKernel::UserTask {
  std::unique_ptr<GuestPageTables> mm;
  std::unique_ptr<UserMm> pages;      // the user pages' frames (mmap, mprotect, munmap)
  std::vector<GuestPhysAddr> tables;  // the mm's page-table pages (the PGD included)
  std::unique_ptr<x86::CpuGuestMemory> mem;
  std::unique_ptr<GuestSyscalls> sys;
  std::unique_ptr<x86::Process> proc;
};

// The constructor and destructor live here, where UserTask is complete.
GuestKernel::GuestKernel(GuestKernelConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.ram_bytes < 4 * (1ull << 20) || cfg_.ram_bytes % kPageSize ||
      cfg_.ram_bytes > (4ull << 30) - (16ull << 20))
    throw InputError("guest kernel: RAM size must be a page multiple from 4 MiB to 4 GiB - 16 MiB");
}

GuestKernel::~GuestKernel() = default;

SevGuestDevice* GuestKernel::sev_guest(int* err) {
  if (!sev_guest_probed_) {
    sev_guest_probed_ = true;
    sev_guest_ = SevGuestDevice::probe(*this, cfg_.sev_guest_vmpck_id, &sev_guest_err_);
  }
  if (err) *err = sev_guest_err_;
  return sev_guest_.get();
}

TsmReports& GuestKernel::tsm() {
  if (!tsm_) tsm_ = std::make_unique<TsmReports>(*this);
  return *tsm_;
}

void GuestKernel::queue_program(std::vector<std::string> argv) {
  queue([argv = std::move(argv)](GuestKernel& k) { k.exec_program(argv); });
}

void GuestKernel::exec_program(const std::vector<std::string>& argv) {
  ProgramRun run;
  run.argv = argv;
  const std::string path = argv.empty() ? std::string() : argv[0];
  const std::string name = basename_of(path);
  const auto finish = [&](ProgramRun::State s, std::string detail = {}) {
    run.state = s;
    run.detail = std::move(detail);
    programs_.push_back(std::move(run));
  };
  if (!disk_ || name != disk_->name) {
    tty_write(as_bytes("-sh: " + path + ": command not found\n"));
    return finish(ProgramRun::State::NotFound);
  }

  // The page cache: the file's pages, filled by the block driver (bounced under SEV).
  const uint64_t npages = std::max<uint64_t>(1, (disk_->file_size + kPageSize - 1) / kPageSize);
  unsigned order = 0;
  while ((1ull << order) < npages) ++order;
  const auto cache = alloc_pages(order);
  if (!cache) return finish(ProgramRun::State::Killed, "out of memory for the page cache");
  for (uint64_t i = 0; i < npages; ++i) run.page_cache.push_back(__pa(*cache) + i * kPageSize);
  if (blk_read(1, disk_->file_sectors(), *cache) != 0)
    return finish(ProgramRun::State::BadExecutable, "I/O error reading " + name);
  Bytes file(disk_->file_size);
  memcpy_from(*cache, file);
  x86::ElfImage image;
  try {
    image = x86::ElfImage::parse(file, name);
  } catch (const InputError& e) {
    tty_write(as_bytes("-sh: " + path + ": cannot execute binary file: Exec format error\n"));
    return finish(ProgramRun::State::BadExecutable, e.what());
  }

  // The new mm: its own PGD sharing the kernel's half (the direct map's PGD entry).
  auto t = std::make_unique<UserTask>();
  t->mm = std::make_unique<GuestPageTables>(
      pte_io(),
      [this, tables = &t->tables] {
        tables->push_back(alloc_zeroed_table());
        return tables->back();
      },
      sme_me_mask_);
  t->mm->set_pgd_entry(VirtAddr(PAGE_OFFSET), pgt_->pgd_entry(VirtAddr(PAGE_OFFSET)));
  UserTask& task = *t;
  // mmap/mprotect/munmap of the loader and the program (user_mm.h): new pages are zeroed
  // private frames; mapped pages keep their frame and take the new rights.
  t->pages = std::make_unique<UserMm>(
      *t->mm, UserMm::Ops{[this] {
                            const auto page = alloc_pages(0);
                            if (!page) panic("Out of memory: cannot map user memory");
                            return __pa(*page);
                          },
                          [this](GuestPhysAddr pa) { free_pages(__va(pa)); },
                          [this](VirtAddr v) { cpu_->invlpg(v); }});
  t->mem = std::make_unique<x86::CpuGuestMemory>(
      *cpu_,
      [&task](VirtAddr va, uint64_t size, unsigned prot) { task.pages->map(va, size, prot); },
      [&task](VirtAddr va, uint64_t size) { task.pages->unmap(va, size); });
  t->sys = std::make_unique<GuestSyscalls>(*this, name, [this](ByteSpan b) { tty_write(b); });
  for (const x86::ElfSegment& seg : image.segments)
    t->sys->add_exec_area(seg.vaddr.value, seg.memsz, seg.prot | x86::Prot::R);
  t->sys->add_exec_area(x86::Process::kStackTop - x86::Process::kStackSize,
                        x86::Process::kStackSize, x86::Prot::R | x86::Prot::W);
  t->sys->set_disk_file(name, file);
  t->proc = std::make_unique<x86::Process>(*t->mem, *t->sys);

  const uint64_t kernel_cr3 = cpu_->cr3();
  cpu_->mov_to_cr3(t->mm->cr3());  // switch_mm()
  x86::RunResult res;
  try {
    t->proc->load(image, argv);
    res = t->proc->run(cfg_.program_budget);
  } catch (const InputError& e) {
    cpu_->mov_to_cr3(kernel_cr3);
    run.user_pages = t->pages->pages();
    return finish(ProgramRun::State::BadExecutable, e.what());
  }
  cpu_->mov_to_cr3(kernel_cr3);
  run.user_pages = t->pages->pages();
  run.output = t->sys->output;
  run.unsupported_syscalls = t->sys->unsupported;
  switch (res.reason) {
    case x86::RunResult::Reason::Paused:
      resident_.push_back(std::move(t));
      return finish(ProgramRun::State::Paused);
    case x86::RunResult::Reason::Exited:
      run.exit_code = res.exit_code;
      break;
    case x86::RunResult::Reason::Fault: {
      if (res.fault && res.fault->vector() == hw::VmmCommunication::kVector) {
        // vc_handle_user(): the #VC handler has nothing for this exit code (under SNP a page
        // that is no longer validated, 0x404), prints, and the task gets SIGBUS.
        printk(fmt::format("SEV: Unsupported exit-code {:#04x} in #VC exception (IP: {:#x})",
                           res.fault->error_code(), res.rip));
        run.detail = fmt::format("SIGBUS (#VC {:#x})", res.fault->error_code());
        break;
      }
      std::string d = res.fault ? res.fault->what() : "fault";
      if (res.fault_address) d += fmt::format(" at {:x}", res.fault_address->value);
      printk(fmt::format("{}[1]: {} ip {:x}", name, d, res.rip));
      run.detail = d;
      break;
    }
    case x86::RunResult::Reason::Budget:
      run.detail = "instruction budget exhausted";
      break;
    case x86::RunResult::Reason::InvalidInstruction:
      printk(fmt::format("traps: {}[1] trap invalid opcode ip:{:x}", name, res.rip));
      run.detail = "invalid opcode";
      break;
  }
  // exit_mmap(): the pages go back to the allocator, their bytes stay in RAM until reused.
  for (const GuestPhysAddr pa : t->tables) free_pages(__va(pa));  // free_pgtables()
  for (const GuestPhysAddr pa : t->pages->pages()) free_pages(__va(pa));
  const auto state = res.reason == x86::RunResult::Reason::Exited ? ProgramRun::State::Exited
                                                                  : ProgramRun::State::Killed;
  std::string detail = run.detail;
  return finish(state, detail);
}

}  // namespace cbit::sw::guest

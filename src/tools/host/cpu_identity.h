// Who the CPU is, from a snapshot's CPUID leaves: vendor (leaf 0), family/model/stepping
// (Fn0000_0001 EAX, which every x86 vendor fills; AMD repeats it in Fn8000_0001 EAX, Intel
// leaves that zero), brand string (Fn8000_0002..4), hypervisor present (Fn0000_0001 ECX[31]),
// and the EPYC generation, which decides what a part can do (sevctl#93: a Rome must not FAIL
// for lacking SNP).
#pragma once
#include <string>

#include "tools/host/snapshot.h"

namespace cbit::tools::host {

enum class Generation { Unknown, Naples, Rome, Milan, Genoa, Turin };

struct CpuIdentity {
  std::string vendor;  // "AuthenticAMD"
  std::string brand;   // "AMD EPYC 7763 64-Core Processor"
  unsigned family = 0, model = 0, stepping = 0;
  bool hypervisor = false;
  Generation generation = Generation::Unknown;

  bool is_amd() const { return vendor == "AuthenticAMD"; }
  // "AMD EPYC 7763 64-Core Processor (family 0x19, model 0x1, stepping 1)"
  std::string describe() const;
  // What the generation can do; an unknown generation is given the benefit of the doubt.
  bool can_sev_es() const;
  bool can_snp() const;
};

CpuIdentity identify_cpu(const HostSnapshot& s);
const char* generation_name(Generation g);  // "Milan (Zen 3)"

}  // namespace cbit::tools::host

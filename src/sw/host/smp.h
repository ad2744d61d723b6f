// Cross-CPU cache maintenance the SEV code needs (Linux arch/x86/lib/cache-smp.c).
#pragma once

namespace cbit::hw {
class Machine;
}

namespace cbit::sw::host {

// wbinvd_on_all_cpus(): WBINVD on every core. Each core's completion sets its WBINVD_DONE flag,
// which DF_FLUSH checks (AMD-ASPFW mcmd_df_flush_common).
void wbinvd_on_all_cpus(hw::Machine& m);

}  // namespace cbit::sw::host

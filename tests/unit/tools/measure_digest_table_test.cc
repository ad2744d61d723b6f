// `cbit measure` against sev-snp-measure (virtee/sev-snp-measure 0.0.13, commit 8f2b337, run
// with Debian's python3): every expected value below is what that tool printed for the command
// in the comment above it ("ERR": it refused with exit 1; "USAGE": its argument parser refused,
// exit 2). $FX is a directory holding this suite's synthetic firmware, kernel and initrd
// (written by `CBIT_MEASURE_WRITE_FIXTURES=$FX cbit_tests --gtest_filter=MeasureFixtures.*`);
// the /usr/share paths are Debian's ovmf 2024.11 package, pinned by SHA-256 below.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/file.h"
#include "crypto/hash.h"
#include "tools/measure/request.h"
#include "unit/temp_dir.h"
#include "unit/tools/measure_fixtures.h"

namespace cbit {
namespace {

using tools::measure::RawArgs;

struct Case {
  std::vector<std::string> args;
  std::string expected;
};

const Case kCases[] = {
    // sev-snp-measure --mode sev --ovmf /usr/share/ovmf/OVMF.fd
    {{"--mode", "sev", "--ovmf", "@deb:OVMF.fd"},
     "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF.fd"},
     "5f69b0f48cbd00c7bed859a9d597034d426b3a64a443674755132d833bf0e480"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF.fd"},
     "32ac9d7a17d28f7cd4404a4516d2f00519668c40ada2062351c36767e908eb3f090d66c33ab10f80150e00a4385b6"
     "d0f"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF.fd"},
     "372cac8fa824cfad8d2a48840eb03770bb1b6d30a3af3a539eb1cc1748427df0"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF.fd"},
     "247ad4ffd2aa671f172a61d8fc73337c2b3489dae4e53a8d9dd2d96d3b71b35ab008b3581c496f99810fe72bfd84d"
     "5ac"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF.fd"},
     "916f3b2aa019821a10683b56d313949424b09f6b92495b0b3aeaf667c41f6e99"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/ovmf/OVMF.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF.fd"},
     "dc9e0c41c8b0ca2000043e749d6fd77737d0ef146b3c9eaaaf693f50dd5ce57fbcb379cb4af9918c94d265a7e0bd8"
     "317"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Genoa --ovmf /usr/share/ovmf/OVMF.fd
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Genoa", "--ovmf", "@deb:OVMF.fd"},
     "116782ea268c53bb35d0aaa22ac8a9dcb6b554455ef409b4ff7a86f96aca2bb919e91c4421a6ceab27fa0de1296e2"
     "42e"},
    // sev-snp-measure --mode sev --ovmf /usr/share/ovmf/OVMF.fd --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@deb:OVMF.fd", "--kernel", "@kernel"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf /usr/share/ovmf/OVMF.fd --kernel
    // '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@deb:OVMF.fd", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE.fd"},
     "d9b568def24088c92f34b5479e0ed7e44d0a4d4cea8a0f5716719180bba48106"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "7bf18ad3b394a1a30434c27459c61327ca5126e5b4774fac4977c8e0c08f508f"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "022a949083cab59e19c5ca3f5f7ddb9c991874f49f76f72ea3f8cee1aa411e70c0a92766729328069f00b3053fc8e"
     "a6f"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "87814bb2e04b6632fd57e3b1e716f0f083f0b529da290de4065dc00cd693c6a6"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "49389a8455e93dfa5b5c986ee06e64d1eafa21dcf6ba39b55eb65687c4f5e1e8aa9aa3ef7c16217ffaf47ac6a40b4"
     "21b"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "3760d91774c1b33416f51a5288dc6ebedc0521b04c95e7faa145be718b0420f3"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE.fd"},
     "da88893d22e0c644cdaaa3d62579fdfd7fc52fe5d2f7bd720f2bd358262c672dd0aedbcd0dca672e7df46dac95cf9"
     "2e2"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Genoa --ovmf
    // /usr/share/OVMF/OVMF_CODE.fd
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Genoa", "--ovmf", "@deb:OVMF_CODE.fd"},
     "50ee565912dadc82a9bed4a2ce447c48d1d4b4bccf04d48ff6bc2c61298cee264f479659ee69189b40d2a2f07bfd9"
     "058"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE.fd --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE.fd", "--kernel", "@kernel"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf /usr/share/OVMF/OVMF_CODE.fd
    // --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@deb:OVMF_CODE.fd",
      "--kernel", "@kernel"},
     "ERR"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE_4M.fd"},
     "b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "9509e57b579b7be22e2b151ad3e941538f7ecb3028eeeef3a6c8aad65f8cfa2a"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "08fb24cde9c3412ac8e84b25cfa172c9734742ada001b673bbc6b6f80f58d5aea0f717c361f62623444757283727d"
     "d5b"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "fa208de4f6cd7155f935cbad85d6f9bc7ecb0ed7b8b6525c2344adc63e85a17e"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "126e676b41852fc43b16826993a2155305ee1126cbc06b26d19f893b96d6f37fb59a5f4fd7979d67832682d124225"
     "72c"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "5fdbacc52fff0c51be727304af9c94a97f557a3a4809d127f8bc0b8f1c5e09a7"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "dd9322b9fe0a73778105b1d4f311e755b3adb72cc89722318299c254a6e70a3ac6a89be54e8d57ff68df8717252b5"
     "fc5"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Genoa --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.fd
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Genoa", "--ovmf",
      "@deb:OVMF_CODE_4M.fd"},
     "082a0d5f67a588b1c4a70760df6e4544cb33076a1b35bb938f0c9eb178a73f0dd1c00498c624f8da5564761532355"
     "154"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE_4M.fd --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE_4M.fd", "--kernel", "@kernel"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf /usr/share/OVMF/OVMF_CODE_4M.fd
    // --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@deb:OVMF_CODE_4M.fd",
      "--kernel", "@kernel"},
     "ERR"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE.secboot.fd"},
     "6ee6a5db7a1443d17594f1e00e3cf2a2250bc1c95c8f9101bc49c9977ce11a68"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "18f355f1c7fd00f8af9d620d77f56a8d2e27997c72a459574efeacbef36d0c01"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "79d7cf67c08226c457a43f4fa49a06ca0d7ee202400995c4058a33e98d9eb4e1b3c58c737046469f45af34ebe36da"
     "e34"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "c11c1b2bdfe7dd1822a0a149b6ea6d6739f14455e8c7a96fafd42661320a33ac"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "16527057d439934f60baef1a1f807bfa4c29ed98bc179d8d8f46234c55750be3b6f9d61696a3507e143ddda9efcd1"
     "114"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "5e26d004b3dfbb47ac1a63e1a840781d553a3647a5613662f7708a54249f1994"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "138ea2d020eb7d9f86cb3b80d4e0ac517351dadde17fec2d49bb3bc34d8f7f83e1bc5575a443acce366cda9da05d1"
     "901"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Genoa --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Genoa", "--ovmf",
      "@deb:OVMF_CODE.secboot.fd"},
     "cbea6b15282de0f763028b3dc5e5600b53739c41170278c1a43b5f54173bead0b9dad5db1d4e86a4ef2b9d8085c83"
     "04c"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE.secboot.fd --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE.secboot.fd", "--kernel", "@kernel"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf
    // /usr/share/OVMF/OVMF_CODE.secboot.fd --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@deb:OVMF_CODE.secboot.fd",
      "--kernel", "@kernel"},
     "ERR"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE_4M.secboot.fd"},
     "d50189a486d22af418198226a3a5bcb6ddac775590f6a808bd629474ee034d62"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "19323d624e5bb430de04584abf13879bb246280f1236a6f1af7f21bd553b3a2f"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "c609c3d29a56bb46848ab060ae0c2499de762fbf66010fa01355754950b13ec9346f52db1c767b38a874eeb29cf06"
     "c57"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "bcb02bcf8c9c11cef298af01c2590be40f59176c3605751100ca28b0b36b8801"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "a55ac7ca24b6467a8bebb1378df89af2773b8c536d306f08f97f06fc1dd7e3f7e95362fe83a42651e668e6ca07bda"
     "235"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "078c1c495ee5497128ff3f44949f7e83b6a8100d993424bb392c18ec506a0f57"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "5ec89202f3e6e4807b53fa826bb2f0d1ff91f0f1fa9fdcd04350ee5a4becc7c5934c29f5c06019a67f644715d6be3"
     "5e2"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Genoa --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Genoa", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd"},
     "0b22d5829a1edd5b3a73667e0af42f5ea5092417d440f74fcc6cc9497d33df45e583c3f5c3b8231d7e77bfb2192cc"
     "c1f"},
    // sev-snp-measure --mode sev --ovmf /usr/share/OVMF/OVMF_CODE_4M.secboot.fd --kernel
    // '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@deb:OVMF_CODE_4M.secboot.fd", "--kernel", "@kernel"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf
    // /usr/share/OVMF/OVMF_CODE_4M.secboot.fd --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf",
      "@deb:OVMF_CODE_4M.secboot.fd", "--kernel", "@kernel"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-v1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-v1", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v1 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v1", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-v2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-v2", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v2 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v2", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-IBPB --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-IBPB", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-IBPB --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-IBPB", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-v3 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-v3", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v3 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v3", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev"},
     "d43af9ac8291bd315418bd4c874030aba86f57881abcabd42d8a48ac6fb8e857cc6be7871076c1f9f3e512125a352"
     "946"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@x64"},
     "33552c0feb7f446a8221bfa63b6640dce5732c48856f49c7cd4cd55cd19a0870"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Rome --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Rome", "--ovmf", "@amdsev"},
     "6fd0466d6caaea1c0f044115962416d8c3bfc75bde11701babec1e2fc11b7cbc3d3724d4bcddc3c719d5a1f47c26e"
     "7a6"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Rome --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--ovmf", "@x64"},
     "0696506be14db589e644e91f637d50cbbbf6206c355281cd8f85d1e1c85d83c5"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Rome-v1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Rome-v1", "--ovmf", "@amdsev"},
     "6fd0466d6caaea1c0f044115962416d8c3bfc75bde11701babec1e2fc11b7cbc3d3724d4bcddc3c719d5a1f47c26e"
     "7a6"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Rome-v1 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Rome-v1", "--ovmf", "@x64"},
     "0696506be14db589e644e91f637d50cbbbf6206c355281cd8f85d1e1c85d83c5"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Rome-v2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Rome-v2", "--ovmf", "@amdsev"},
     "6fd0466d6caaea1c0f044115962416d8c3bfc75bde11701babec1e2fc11b7cbc3d3724d4bcddc3c719d5a1f47c26e"
     "7a6"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Rome-v2 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Rome-v2", "--ovmf", "@x64"},
     "0696506be14db589e644e91f637d50cbbbf6206c355281cd8f85d1e1c85d83c5"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Rome-v3 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Rome-v3", "--ovmf", "@amdsev"},
     "6fd0466d6caaea1c0f044115962416d8c3bfc75bde11701babec1e2fc11b7cbc3d3724d4bcddc3c719d5a1f47c26e"
     "7a6"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Rome-v3 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Rome-v3", "--ovmf", "@x64"},
     "0696506be14db589e644e91f637d50cbbbf6206c355281cd8f85d1e1c85d83c5"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev"},
     "b6f7ba67582045fae342d06a8642dde4aa55e74c8127057b23f3dc758879b22016f2be43ce66bb2041154fd839898"
     "2aa"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Milan --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", "@x64"},
     "2cdd801dad43f04b786b8ab866e3d5a97ddeca5d02adbad63301b623b5f39958"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Milan-v1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan-v1", "--ovmf", "@amdsev"},
     "b6f7ba67582045fae342d06a8642dde4aa55e74c8127057b23f3dc758879b22016f2be43ce66bb2041154fd839898"
     "2aa"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Milan-v1 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Milan-v1", "--ovmf", "@x64"},
     "2cdd801dad43f04b786b8ab866e3d5a97ddeca5d02adbad63301b623b5f39958"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Milan-v2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan-v2", "--ovmf", "@amdsev"},
     "b6f7ba67582045fae342d06a8642dde4aa55e74c8127057b23f3dc758879b22016f2be43ce66bb2041154fd839898"
     "2aa"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Milan-v2 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Milan-v2", "--ovmf", "@x64"},
     "2cdd801dad43f04b786b8ab866e3d5a97ddeca5d02adbad63301b623b5f39958"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Genoa --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Genoa", "--ovmf", "@amdsev"},
     "adf3fe5be1ce8f23f37c1594001f51749d276c334f02c8027c2bb202903a99b6b408f7032215088bb7bcec301ff77"
     "b17"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Genoa --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Genoa", "--ovmf", "@x64"},
     "28eb99d2f44796532513b43be634d5c46803f0f045102fe49b58eb495d9fe650"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Genoa-v1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Genoa-v1", "--ovmf", "@amdsev"},
     "adf3fe5be1ce8f23f37c1594001f51749d276c334f02c8027c2bb202903a99b6b408f7032215088bb7bcec301ff77"
     "b17"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Genoa-v1 --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Genoa-v1", "--ovmf", "@x64"},
     "28eb99d2f44796532513b43be634d5c46803f0f045102fe49b58eb495d9fe650"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Turin --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Turin", "--ovmf", "@amdsev"},
     "4c0f8835839e30cfb94abbec7da552f9aa949a63a1b89ab43a33b30b35f8b57aa314f96eb1e91bc8ae3e58b9899a9"
     "bce"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Turin --ovmf '$FX/x64.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Turin", "--ovmf", "@x64"},
     "0c15273a6ddc09196d2483aa2ffa6c603124500070a25e6bd3f5d952c073c7c6"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "9207d361bffdbcaad35f2f837b5a845dd7225d562fbacff08cf4f74e6a03a81b5e013ea47871359a6ad2f511afbb4"
     "df9"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "235bb427517bd4914c212bd0344c2b7ee7ae940398b1d360ea91d270aa4f3bd2671c755c0e8243fe912f51efca712"
     "dbc"},
    // sev-snp-measure --mode snp --vcpus 3 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "7911af9c25e62b72069576cfe0b451f64feea1c81bbb9761fc465749ef729361d739bec51d34e112360a0b284cb1d"
     "99c"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "4acc94ec8577f4aca73452d2ada1c12dbca5bcb6d58612bc74fc0c0538c03abdd0fbabfde1deb3879216023cbedb7"
     "d4d"},
    // sev-snp-measure --mode snp --vcpus 5 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "5", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "6a3489ea85f081f42cc5372167feb19f83b1cc5ee8b477bce9310567d97a9c16b1e3da3b908ac86d98905df059e2e"
     "fc9"},
    // sev-snp-measure --mode snp --vcpus 7 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "7", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "b3c2818fe04250f0245ec33147348c156b62fd7624efdc4ed1e753f42cf58eb6f8da029783b65ffd07fb701da0d61"
     "9d1"},
    // sev-snp-measure --mode snp --vcpus 8 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "8", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "c0292ff7760039c952433995a88a49ca7f23cf7e5c8d357eb88a709cadd6511ce424132355a48c0e1940fe871c26a"
     "cc0"},
    // sev-snp-measure --mode snp --vcpus 15 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "15", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "3de255ffcd8dec783a68951f14739b1c92eb9c77a1196a3d1dbe2d1858c342715e7cbd7c597579b252dfee126986a"
     "d20"},
    // sev-snp-measure --mode snp --vcpus 16 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "16", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "ce697ee3dffc32fd037f44d3fa0b125add7b7396ad137c8b434e60919c290c96b49e097138d913737d2fbdcfdef79"
     "600"},
    // sev-snp-measure --mode snp --vcpus 31 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "31", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "f953038e91d6648e1b0881aaa8cd533f87f527e7344de556e7ec117f083188dec9db719a38b734e6cf747a73b4d89"
     "07d"},
    // sev-snp-measure --mode snp --vcpus 32 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "32", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "72dc9a6f882adcaaf652380b0aa20cc8e8298f6960e98dc908df5ceedfc76157726a111b1cbf147d01e371fe6f57f"
     "fe2"},
    // sev-snp-measure --mode snp --vcpus 33 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "33", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "c8888dffe9d7dd43e583d18e527eeaa74eb2331835487d04e60bfa943422b0193967144f7ea46d04c2c611c02fe88"
     "2af"},
    // sev-snp-measure --mode snp --vcpus 48 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "48", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "d0990984e3b64cdc4bea6b569ba7ae63a9c58e62a3a22c4bccd52c5b601fbdcc8d407ff4bded35702c1ef2b86b7dc"
     "e67"},
    // sev-snp-measure --mode snp --vcpus 63 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "63", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "3a39bb61ca1fec33a65ae52744684836bb5587d4e8dbc398d813f9c13d0193129b350e41327b3cc193bada8f20135"
     "032"},
    // sev-snp-measure --mode snp --vcpus 64 --vcpu-type EPYC-Milan --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "64", "--vcpu-type", "EPYC-Milan", "--ovmf", "@amdsev_big"},
     "2abd8dffb7332c7d520122fd99dc115123a60e2c1ba0178648857e6904239d850389adf0327bc37d5ee6769057bc2"
     "2da"},
    // sev-snp-measure --mode snp --vcpus 1 --vmm-type ec2 --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vmm-type", "ec2", "--ovmf", "@amdsev_big"},
     "f90605decfdc78dbaa857524994e85f1e6eefeb9fb504ce10a608cc8128207180b5e0938b303a7f0b681c44884887"
     "b48"},
    // sev-snp-measure --mode seves --vcpus 1 --vmm-type ec2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "1", "--vmm-type", "ec2", "--ovmf", "@amdsev"},
     "4c15a3e91518bf3fac11467b6e24d46525c048cf33a6fc56f3280784ec417d4b"},
    // sev-snp-measure --mode snp --vcpus 1 --vmm-type gce --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vmm-type", "gce", "--ovmf", "@amdsev_big"},
     "37154cfa9ddf666737cdbb6569c2db7b3bb08e7b5446c5bfa69f2baf080ca272a847d9684923b04633c318e18d2f0"
     "1fb"},
    // sev-snp-measure --mode seves --vcpus 1 --vmm-type gce --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "1", "--vmm-type", "gce", "--ovmf", "@amdsev"},
     "d666a679b3cd9b79e26dc364917f321724998cb1f96d1e1b12c5e04c874f081c"},
    // sev-snp-measure --mode seves --vcpus 1 --vcpu-type EPYC-Rome --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC-Rome", "--ovmf", "@amdsev"},
     "c9a9ca6c5b3a008feff5ec895ed6ddda2971ae79d77e706bc141456f3cc3cce4"},
    // sev-snp-measure --mode snp --vcpus 2 --vmm-type ec2 --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vmm-type", "ec2", "--ovmf", "@amdsev_big"},
     "4c4e51b9edcfc53888633eb68bce494b6e6f5194f23057e4a57bd53658152a2261e8966f30868dd9d383e51823bde"
     "e75"},
    // sev-snp-measure --mode seves --vcpus 2 --vmm-type ec2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vmm-type", "ec2", "--ovmf", "@amdsev"},
     "6728d2dbc8c3b38ac5ab0cab101d008a9db05bfef4472ca9fe9d6ff7bb295d4b"},
    // sev-snp-measure --mode snp --vcpus 2 --vmm-type gce --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vmm-type", "gce", "--ovmf", "@amdsev_big"},
     "8aad014d695d02dde6fe6562c1d8173d6a91bd9bb0345f76901ab9397517b1132fce3dca2b1e05d57f37aee994243"
     "128"},
    // sev-snp-measure --mode seves --vcpus 2 --vmm-type gce --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vmm-type", "gce", "--ovmf", "@amdsev"},
     "617cdcdae2370dac6afa166accc549181314c81acf43544d29b3a599c44b7fd3"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-Rome --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--ovmf", "@amdsev"},
     "cc21f2806b44e036857c20f4e92a3c66bc291bc2d87cbe17a0c0242835bfbe11"},
    // sev-snp-measure --mode snp --vcpus 17 --vmm-type ec2 --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "17", "--vmm-type", "ec2", "--ovmf", "@amdsev_big"},
     "0143c923865bf2d74956e7ccf8111f84986769a092feef8ac18fe52d3a1bbc3717b55147127e70532e833de431e78"
     "2b6"},
    // sev-snp-measure --mode seves --vcpus 17 --vmm-type ec2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "17", "--vmm-type", "ec2", "--ovmf", "@amdsev"},
     "202da095497e1177409555429391f3c3d8957343ebbc5935ef59db2a7dd1b549"},
    // sev-snp-measure --mode snp --vcpus 17 --vmm-type gce --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "17", "--vmm-type", "gce", "--ovmf", "@amdsev_big"},
     "616f51ffb84aa7cdafbe9ff725623b6b3ac54f0c6e6840a299b12977e6b73f289a11d0ae13cdb73bd8be1e85dd348"
     "338"},
    // sev-snp-measure --mode seves --vcpus 17 --vmm-type gce --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "17", "--vmm-type", "gce", "--ovmf", "@amdsev"},
     "28c9ceaf21bcffaf7859604823a75fdf1a61dc9bbe35e2112c0d2cfa8011c9c9"},
    // sev-snp-measure --mode seves --vcpus 17 --vcpu-type EPYC-Rome --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "17", "--vcpu-type", "EPYC-Rome", "--ovmf", "@amdsev"},
     "debd0a1d1416f4764c24ff382c8e788468a09288b4042ef203c3cc4500b47af5"},
    // sev-snp-measure --mode snp --vcpus 64 --vmm-type ec2 --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "64", "--vmm-type", "ec2", "--ovmf", "@amdsev_big"},
     "4c3c4c280272f10cad64ed36937490b24ceb8fbe2692490818aff4066e064647e54cecbd5dbe63e9d08be7639ee41"
     "b31"},
    // sev-snp-measure --mode seves --vcpus 64 --vmm-type ec2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "64", "--vmm-type", "ec2", "--ovmf", "@amdsev"},
     "07a3178e34a0cf00a283f1b62912abcd000afa069c71d7b90fdeabefc7d1a7a8"},
    // sev-snp-measure --mode snp --vcpus 64 --vmm-type gce --ovmf '$FX/amdsev_big.fd'
    {{"--mode", "snp", "--vcpus", "64", "--vmm-type", "gce", "--ovmf", "@amdsev_big"},
     "74ddd5e573e7a5f0666e3afa115c6826ee95f14535b9d9edf448cf77b8adeb5282a3e53c8908600e7beb5522c5836"
     "9ce"},
    // sev-snp-measure --mode seves --vcpus 64 --vmm-type gce --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "64", "--vmm-type", "gce", "--ovmf", "@amdsev"},
     "353399c9db702969dff49044c2a578a1bf71f4ef7a195529bec2d22b40dee4fe"},
    // sev-snp-measure --mode seves --vcpus 64 --vcpu-type EPYC-Rome --ovmf '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "64", "--vcpu-type", "EPYC-Rome", "--ovmf", "@amdsev"},
     "772210e7a084b2d369377b1d9790b1781f936e10763abf8068aea7304756852f"},
    // sev-snp-measure --mode snp --vcpus 0 --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "0", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"},
     "5153373b0a82f5c0a6c484cf2eae98d4779147daf1eb24b9df53d83c5256d71f33e2901fbaef4f54a5418f6bc3047"
     "533"},
    // sev-snp-measure --mode snp --vcpus -2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "-2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"},
     "5153373b0a82f5c0a6c484cf2eae98d4779147daf1eb24b9df53d83c5256d71f33e2901fbaef4f54a5418f6bc3047"
     "533"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0x800f12 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0x800f12", "--ovmf", "@amdsev"},
     "de4a04ffe8ac894bfa562cbd700b9d7938bc166ca596363b8161c475f46ed9c1aec9a013b8303ed7b9c7a95772b19"
     "816"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 8392466 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "8392466", "--ovmf", "@amdsev"},
     "de4a04ffe8ac894bfa562cbd700b9d7938bc166ca596363b8161c475f46ed9c1aec9a013b8303ed7b9c7a95772b19"
     "816"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0", "--ovmf", "@amdsev"},
     "9af0222c60e6b42280c45590a9b5596f03e249103495db9bc2024a93b0a241e7f9b220f6aaaa056cbb556039c83e3"
     "d2f"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0xa00f11 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0xa00f11", "--ovmf", "@amdsev"},
     "ce620fdb089fcf8d35b7a72f757682eee26f10fee81396006c31ee4d787fbd2b4549784a53738c358a1c1f8db55a5"
     "d6a"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig -1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "-1", "--ovmf", "@amdsev"},
     "5e679b55ea9776aa2a80bf50e40a63c51a7fee1ae04ac30252b0972d4912d0690ea4a718f180c112367025db85242"
     "65e"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0o17 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0o17", "--ovmf", "@amdsev"},
     "f0120f9eedf7ce794046d93398c21cca65c85b878eebb20f4744b7faad0be758b2e8aa0d8ee9cc4a468573931b3af"
     "69e"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0b1010 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0b1010", "--ovmf", "@amdsev"},
     "878ec09ddebdad06c5eb5a34f50b894a5e290af1520c81414527280385ac5a1f7004134c24b999cf02859b6c2fd27"
     "0ed"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 1_000 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "1_000", "--ovmf", "@amdsev"},
     "2b1cf08ccc4360ca4429a3afd522437e7a1a7e01f29aa2632a02ab57ddf1f0550461c16cb26f1e39bcfce0b85263e"
     "dad"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 0x1_0000_0000 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "0x1_0000_0000", "--ovmf", "@amdsev"},
     "0f771267d2269d4e6a5655fdf0ba3a77a8a75957ca7a0d51c06f3d29031d97dd0e361b0a3f8936937cca836a49c10"
     "a25"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 23 --vcpu-model 1 --vcpu-stepping 2 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "23", "--vcpu-model", "1",
      "--vcpu-stepping", "2", "--ovmf", "@amdsev"},
     "de4a04ffe8ac894bfa562cbd700b9d7938bc166ca596363b8161c475f46ed9c1aec9a013b8303ed7b9c7a95772b19"
     "816"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 25 --vcpu-model 17 --vcpu-stepping 0
    // --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "25", "--vcpu-model", "17",
      "--vcpu-stepping", "0", "--ovmf", "@amdsev"},
     "f0898f8c7fc7744f49dbb591c44aec5c3916abf7a318b825173e2e157849423d9d27e43faa7335b9aa05eb191a3e5"
     "94e"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 26 --vcpu-model 0 --vcpu-stepping 0 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "26", "--vcpu-model", "0",
      "--vcpu-stepping", "0", "--ovmf", "@amdsev"},
     "fa332f2283d0c52b8ff728122ea315ed46ddfa692af139d294316d4a157b0586947fc2f68987e9a2a10d512e26857"
     "4b7"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 15 --vcpu-model 4 --vcpu-stepping 1 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "15", "--vcpu-model", "4",
      "--vcpu-stepping", "1", "--ovmf", "@amdsev"},
     "354d4fcfd84a1c2e5074ef25b09ad1d994b5717bf4ca3e0bf5405c72c7bc5e5866f6529d07c830c492c0e84fad142"
     "247"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 0 --vcpu-model 0 --vcpu-stepping 0 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "0", "--vcpu-model", "0", "--vcpu-stepping",
      "0", "--ovmf", "@amdsev"},
     "9af0222c60e6b42280c45590a9b5596f03e249103495db9bc2024a93b0a241e7f9b220f6aaaa056cbb556039c83e3"
     "d2f"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-family 300 --vcpu-model 255 --vcpu-stepping 31
    // --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-family", "300", "--vcpu-model", "255",
      "--vcpu-stepping", "31", "--ovmf", "@amdsev"},
     "61e534ff28580150f3848cddf4401e2beba03826e6e050dfc1cf30a278766c4149db325d63c36a0d62a226f8babe4"
     "219"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --vcpu-sig 5 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--vcpu-sig", "5", "--ovmf",
      "@amdsev"},
     "30a91e965b42a238ea964c9c0f40eb3fddf4925a4f96385e9df56f2b078291028873d1c0779dbdf38c07872ad3f62"
     "6ce"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --vcpu-sig 5 --vcpu-family 25
    // --vcpu-model 1 --vcpu-stepping 1 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--vcpu-sig", "5", "--vcpu-family",
      "25", "--vcpu-model", "1", "--vcpu-stepping", "1", "--ovmf", "@amdsev"},
     "ce620fdb089fcf8d35b7a72f757682eee26f10fee81396006c31ee4d787fbd2b4549784a53738c358a1c1f8db55a5"
     "d6a"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 0x0 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x0",
      "--ovmf", "@amdsev"},
     "aefc249a4ff5e0ded93aa017b480192bde6fb531e7210b9acb00a77905d60bed7d528365370e08417561b9cd25a1f"
     "c31"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 0x1 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x1",
      "--ovmf", "@amdsev"},
     "49fc0e6e979f442071ff454b1bd5c8c4af84f78e0605cc1645bc6a0998aeb493e9b68d3a9a6dd380c12920aa18783"
     "001"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 0x21 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x21",
      "--ovmf", "@amdsev"},
     "e052d63f9b7694b81f9eefaea14dd41e073d266d2d07befa50e11ab500a4c242d68ef67fc0c182f31e9a259252f62"
     "b4e"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 0x3f --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x3f",
      "--ovmf", "@amdsev"},
     "b0bf47d100c41ef49420808dc8aa200e4e6aebbfc70880c1c34d89ed85cc2577ee236db894f3c4133b6ad916abbaa"
     "a55"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features
    // 0xffffffffffffffff --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features",
      "0xffffffffffffffff", "--ovmf", "@amdsev"},
     "e82aeb10737c27d5a0f5563f2c4c220cda7bc6d5c41f54a8dea5b1d83a784ab666d97955cc1667b850660b7fb051c"
     "d14"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 33 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "33",
      "--ovmf", "@amdsev"},
     "e052d63f9b7694b81f9eefaea14dd41e073d266d2d07befa50e11ab500a4c242d68ef67fc0c182f31e9a259252f62"
     "b4e"},
    // sev-snp-measure --mode snp --vcpus 4 --vcpu-type EPYC-Genoa --guest-features
    // 0x10000000000000001 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features",
      "0x10000000000000001", "--ovmf", "@amdsev"},
     "49fc0e6e979f442071ff454b1bd5c8c4af84f78e0605cc1645bc6a0998aeb493e9b68d3a9a6dd380c12920aa18783"
     "001"},
    // sev-snp-measure --mode seves --vcpus 4 --vcpu-type EPYC-Genoa --guest-features 0x21 --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "seves", "--vcpus", "4", "--vcpu-type", "EPYC-Genoa", "--guest-features", "0x21",
      "--ovmf", "@amdsev"},
     "67f6f57e8af17b800d1bd9cef303bb06a54f03a4d0e27d4a8d2ebb6c71591155"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev", "--kernel", "@kernel"},
     "18d8ace693336677c1725795cb5e29cc4c34fc18464949f00b96843db589042884d3798326e7b7e98c99061cb3de6"
     "1bc"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev", "--kernel", "@kernel"},
     "36b728d956d9aa171794db03a0602db4971bc15100a6be24192b954e7e4222211b543f738d3ed085cf0b5f591b7e8"
     "9e1"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev", "--kernel", "@kernel"},
     "3988639bb6bff9aa0cab1f55641bb5f4a4a434101ae36063b7d9db5b935b437fb9547c3ac8f349c9a8545f1f1d4e0"
     "a76"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev", "--kernel",
      "@kernel"},
     "7e84ee21aa0cf651a3abb0e2a263076d77714805645b76e22fbfc18fe18cd81b"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@amdsev", "--kernel", "@kernel"},
     "ccfcc34bb5dd9c8b572c8c34968ca769e1342b575e00847f9466169186507880"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd"},
     "d31de6f5d5e9a3e6d7fe228ae91027aef263462d7d489e3c1df9b5b36d371c3b516b55235276c9f81eb3e17b546b4"
     "da2"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd"},
     "7e905b59d69a05f3af12c62983632e334abe1edde60ad4e3141de5ec6d76d49f9fdb7d48ae652516e4b6fcfae6362"
     "3d1"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd"},
     "9d7177b73de2c4bdb91baef5d75ada2d8bb9023c130828ffc9a5dfe94c12a16bb46ef21cbcab11a29d266def5670c"
     "dfd"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd' --kernel
    // '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev", "--kernel",
      "@kernel", "--initrd", "@initrd"},
     "f91984d775ce7886941f4f35acd24af8a46344ba672c35eee000eb236acb57b8"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "sev", "--ovmf", "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd"},
     "5bf74644d2a7408960f8e704358e6eaf1165157f9dfd1c6712be99c73444146a"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "fa3ffeb77ab819c3efafdf66c3521660bca7b246d511ed7c620fbd01575ccde8ec06687cfe2ebaeb4bd0148fdddd9"
     "886"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "379b65ea2b24838a16b0382e8d54bb8f4618fcf3376b027e0c4173f7f48e5893699b8e3c8333289c5c2cbfd104847"
     "b9d"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "c3cc473df902f2ad5ecfe0cc4824acd40a66fa3ee623171eed027bc45972e553e9815c52f0752b673d090b973ed08"
     "35a"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd' --kernel
    // '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev", "--kernel",
      "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "3fddc9f8e5ca2cd1cf7123325da0ac7c3dea4b1b6d7b02f7eced0137586bd628"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    // --append console=ttyS0
    {{"--mode", "sev", "--ovmf", "@amdsev", "--kernel", "@kernel", "--initrd", "@initrd",
      "--append", "console=ttyS0"},
     "759b0cfbe1478b8b0aae29a22c0daf671889a9018614d13b9753a3e9350caee4"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "87ef9abdf0ae54eb98d8976b74869c1f0ec64e07f9468b449aa88929061e739cf5739ca5e8a66b29a006c3d4a2b9d"
     "727"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "df0a81980751fdc68364de4eae4ace3e14aae84a5bec948df10e188b40794ab36d00f613b8c925721e447ed01ad71"
     "640"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "fe708d6879ae9886765f96a428116d74a003304eb5cf98cd17a40ee9dba7c7184d5f8190ecacd04736fec4728883b"
     "842"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd' --kernel
    // '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev", "--kernel",
      "@kernel", "--append", "root=/dev/vda1 quiet"},
     "52dbddc5c2abde6d3e0ad9a9c98abd80f65954127d31524a754293a0cac546f4"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --kernel '$FX/kernel' --append
    // 'root=/dev/vda1 quiet'
    {{"--mode", "sev", "--ovmf", "@amdsev", "--kernel", "@kernel", "--append",
      "root=/dev/vda1 quiet"},
     "55fd827010970399ef031cb1a047ca2d613bacf7071e7e240dbc64b17d78a13e"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", ""},
     "18d8ace693336677c1725795cb5e29cc4c34fc18464949f00b96843db589042884d3798326e7b7e98c99061cb3de6"
     "1bc"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", ""},
     "36b728d956d9aa171794db03a0602db4971bc15100a6be24192b954e7e4222211b543f738d3ed085cf0b5f591b7e8"
     "9e1"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev", "--kernel", "@kernel", "--append", ""},
     "3988639bb6bff9aa0cab1f55641bb5f4a4a434101ae36063b7d9db5b935b437fb9547c3ac8f349c9a8545f1f1d4e0"
     "a76"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev.fd' --kernel
    // '$FX/kernel' --append ''
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev", "--kernel",
      "@kernel", "--append", ""},
     "7e84ee21aa0cf651a3abb0e2a263076d77714805645b76e22fbfc18fe18cd81b"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "sev", "--ovmf", "@amdsev", "--kernel", "@kernel", "--append", ""},
     "ccfcc34bb5dd9c8b572c8c34968ca769e1342b575e00847f9466169186507880"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel"},
     "93a189df54561c06a7d6d26cfab9b8507a3651210e811380bf497d36d2e2351aa7383dee09d23ca3ea8766e9f89a4"
     "28f"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel"},
     "dbc85730217051cdcdd15899c06ac08590fbb962027c8336aef33aedd8e4600e632a688fa8d76661f19dc494a5dbd"
     "2fa"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel"},
     "3d4c84ee0406522d40cce2b572c323f9a0c79fa1604bcf4165a3b07cb3d63fa5d1b2bcb1ebc9fd43229b55b37f717"
     "5a4"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev_big.fd'
    // --kernel '$FX/kernel'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev_big",
      "--kernel", "@kernel"},
     "1f9b04ad37662d43127143ad91583041a797ddbb2fc1ea2806e6f9ddec12ee21"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev_big.fd' --kernel '$FX/kernel'
    {{"--mode", "sev", "--ovmf", "@amdsev_big", "--kernel", "@kernel"},
     "6407fa43da6b37df16effed6e3674f4849c0a3825bf1321c6665c2ac0a04b5b3"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd"},
     "71d93f54d2e4de1bb79a370578f613751097348cb8d60fcd2e9f19942adf781f992f15c19f8fdf776d090ab8d0f0a"
     "d35"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd"},
     "4604ac82b6a4964604202ef36972848e85dbcae86e5662b3a4d4271bd35bd4ba9c2385a33bc1da05603d80382f342"
     "4ff"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd"},
     "d74a7dc2997748fae93963bb101de7e95aab4614b8fa86d8b7067c468e9a206b2b2a02625cb9a40830311fe59f77c"
     "8fb"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev_big.fd'
    // --kernel '$FX/kernel' --initrd '$FX/initrd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev_big",
      "--kernel", "@kernel", "--initrd", "@initrd"},
     "84025eeeb72fd14112b92de0e719ca7379c68e4145fb340f5e6491855e93a733"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd
    // '$FX/initrd'
    {{"--mode", "sev", "--ovmf", "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd"},
     "feb54cc4a5e727976ffd0b26cd23229dc6f57502efdb5cd5d9f194ef00f0d131"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "7fa8c2a0b82f8cd9099b0a7162003f25696436c004f21c882ec53fd6c7b35349e5a91b94db74ca971bae829c002a5"
     "266"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "7b6122f604d95c10c84ec410d7d36979cfe2b5f16c5abe76229864ff83e834896e6b31e79034377c8b50d0935be4d"
     "4f2"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "bdc22a196a4ec40bbc34b62c9d4cd3d4c113e762988bf51b35f3e764b0cf41be1ea83b76e25611613b874427b18d0"
     "ac5"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev_big.fd'
    // --kernel '$FX/kernel' --initrd '$FX/initrd' --append console=ttyS0
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev_big",
      "--kernel", "@kernel", "--initrd", "@initrd", "--append", "console=ttyS0"},
     "41d7f6c3c93afebfb32cd3f8e3d66e6379b3840e0df39e11726383a1148a6a4b"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev_big.fd' --kernel '$FX/kernel' --initrd
    // '$FX/initrd' --append console=ttyS0
    {{"--mode", "sev", "--ovmf", "@amdsev_big", "--kernel", "@kernel", "--initrd", "@initrd",
      "--append", "console=ttyS0"},
     "a2fa6f09dc115d749194b240b2daf16bf45b75b904600ed40b31d1078939ef7b"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "8f34b0395ebec37b35d8a7c736c27f841c7e19e8ded7471b0e0febe6903e0694ff9f8af6e9b1b583e845009da97ba"
     "a78"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "2bae33b05417b62985d277d30f8fd11d9508083c5ddb25e388cd51498ad4ebc14968edc81d69621dda8654d5b05e5"
     "a24"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "c1a27abacf036c5aa9c771ccd4c9371700df5b0b2c75f8e230dc3103fddaa173bb12d9c6e4ceef4eb056b4d684706"
     "86c"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev_big.fd'
    // --kernel '$FX/kernel' --append 'root=/dev/vda1 quiet'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev_big",
      "--kernel", "@kernel", "--append", "root=/dev/vda1 quiet"},
     "b1cc70feac06855b492a2da5dfb4b2d5696f978bb2dcf0d4cde769e6d8a9d663"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append
    // 'root=/dev/vda1 quiet'
    {{"--mode", "sev", "--ovmf", "@amdsev_big", "--kernel", "@kernel", "--append",
      "root=/dev/vda1 quiet"},
     "c3763a2b632bd9a00e674b236a1db552d2c92bbdd3a2e707e75543ebbbe00223"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type QEMU --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "QEMU", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", ""},
     "93a189df54561c06a7d6d26cfab9b8507a3651210e811380bf497d36d2e2351aa7383dee09d23ca3ea8766e9f89a4"
     "28f"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type ec2 --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "ec2", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", ""},
     "dbc85730217051cdcdd15899c06ac08590fbb962027c8336aef33aedd8e4600e632a688fa8d76661f19dc494a5dbd"
     "2fa"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-v4 --vmm-type gce --ovmf
    // '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--vmm-type", "gce", "--ovmf",
      "@amdsev_big", "--kernel", "@kernel", "--append", ""},
     "3d4c84ee0406522d40cce2b572c323f9a0c79fa1604bcf4165a3b07cb3d63fa5d1b2bcb1ebc9fd43229b55b37f717"
     "5a4"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC-v4 --ovmf '$FX/amdsev_big.fd'
    // --kernel '$FX/kernel' --append ''
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC-v4", "--ovmf", "@amdsev_big",
      "--kernel", "@kernel", "--append", ""},
     "1f9b04ad37662d43127143ad91583041a797ddbb2fc1ea2806e6f9ddec12ee21"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev_big.fd' --kernel '$FX/kernel' --append ''
    {{"--mode", "sev", "--ovmf", "@amdsev_big", "--kernel", "@kernel", "--append", ""},
     "6407fa43da6b37df16effed6e3674f4849c0a3825bf1321c6665c2ac0a04b5b3"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf '$FX/nofit.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@nofit", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf '$FX/nofit.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@nofit"},
     "8fd26e681a0e11eae3b7373e89432e7917bc28e4fdf450064205553cbb8cdfd22223ffe0bda1f08099e959a43ed44"
     "b38"},
    // sev-snp-measure --mode seves --vcpus 1 --vcpu-type EPYC --ovmf '$FX/nofit.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@nofit", "--kernel",
      "@kernel"},
     "cbe98348320f30669d19a38fe3b4349e0df12eaa4415cc960a6024ca9feb1912"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf '$FX/eip0.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@eip0"},
     "85d25f14a123b8b43e45b98ec915233942f9a0a49c3bc48906fab719ee93114749acd6ba65129699432e17f110641"
     "b78"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/eip0.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@eip0"}, "ERR"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/eip0.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@eip0"}, "ERR"},
    // sev-snp-measure --mode sev --vcpus 1 --vcpu-type EPYC --ovmf '$FX/badsig.fd'
    {{"--mode", "sev", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@badsig"}, "ERR"},
    // sev-snp-measure --mode sev --vcpus 1 --vcpu-type EPYC --ovmf '$FX/badver.fd'
    {{"--mode", "sev", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@badver"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf '$FX/badsig.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@badsig"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 1 --vcpu-type EPYC --ovmf '$FX/badver.fd'
    {{"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", "@badver"}, "ERR"},
    // sev-snp-measure --mode sev --vcpus 2 --vcpu-type EPYC --ovmf '$FX/unknown_type.fd'
    {{"--mode", "sev", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@unknown_type"},
     "38fdea3727cc18d9fb075e6801c225e92f93a411fd1d6405ee060e17036b4b4b"},
    // sev-snp-measure --mode sev --vcpus 2 --vcpu-type EPYC --ovmf '$FX/odd_section.fd'
    {{"--mode", "sev", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@odd_section"},
     "c352e28eb885d16640f15225f11f9eb09fa9f00d4324fc4e4c384830f9936a39"},
    // sev-snp-measure --mode sev --vcpus 2 --vcpu-type EPYC --ovmf '$FX/no_reset_block.fd'
    {{"--mode", "sev", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@no_reset_block"},
     "0a9c2f7aaca0f91f87921dd36769ec24ce9429bd036b3efb35fbf3bce34f10d0"},
    // sev-snp-measure --mode sev --vcpus 2 --vcpu-type EPYC --ovmf '$FX/trailing.fd'
    {{"--mode", "sev", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@trailing"},
     "f2e8599e2e3aee644e86d674df0293d2b8c27d99a54290ad910421c97882c919"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/unknown_type.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@unknown_type"},
     "aa7e534d8be9b5d1285b0078da81b28422b700b692f7b2534857c9bfd3169ee8"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/odd_section.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@odd_section"},
     "7942a99e7bcad954c44ce97dc157363ad53c340cdcafd8d42eaa9e65cd5cbd39"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/no_reset_block.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@no_reset_block"},
     "ERR"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/trailing.fd'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@trailing"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/unknown_type.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@unknown_type"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/odd_section.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@odd_section"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/no_reset_block.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@no_reset_block"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/trailing.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@trailing"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --vmm-type ec2 --ovmf
    // '$FX/unknown_type.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--vmm-type", "ec2", "--ovmf",
      "@unknown_type"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/bigkh.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@bigkh"},
     "3b049619841d05a25ce6264507a54b4e15f4849d9d15f36901a98d01a3ec1d060998f50868f543853b6e16858a7f5"
     "62c"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/bigkh.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@bigkh", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode sev --vcpus 2 --vcpu-type EPYC --ovmf '$FX/x64.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "sev", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@x64", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/x64.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@x64", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/x64.fd' --kernel
    // '$FX/kernel'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@x64", "--kernel",
      "@kernel"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd' --output-format
    // base64
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev",
      "--output-format", "base64"},
     "3koE/+isiUv6Viy9cAudeTi8FmylljY7gWHEdfRu2cGuyaATuDA+17nHqVdysZgW"},
    // sev-snp-measure --mode seves --vcpus 2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    // --output-format base64
    {{"--mode", "seves", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev",
      "--output-format", "base64"},
     "bjQ6hB2wLxwEx9Y9+rFX4kefcXbJS4NDojjWJR33J24="},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --output-format hex
    {{"--mode", "sev", "--ovmf", "@amdsev", "--output-format", "hex"},
     "3d08152985edab28419b6378d585884999e6c234775851940b08463a4429037c"},
    // sev-snp-measure --mode snp:ovmf-hash --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp:ovmf-hash", "--ovmf", "@amdsev"},
     "a1202d239042539a8acbeab50c30c5eed55cf925453c6be708485d724441806204a2e1969a2c5d8df31faf11e12b9"
     "3c9"},
    // sev-snp-measure --mode snp:ovmf-hash --ovmf '$FX/trailing.fd'
    {{"--mode", "snp:ovmf-hash", "--ovmf", "@trailing"}, "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/trailing.fd'
    // --snp-ovmf-hash
    // 111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@trailing",
      "--snp-ovmf-hash",
      "11111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
      "1111"},
     "ERR"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd' --snp-ovmf-hash
    // a1202d239042539a8acbeab50c30c5eed55cf925453c6be708485d724441806204a2e1969a2c5d8df31faf11e12b93c9
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev",
      "--snp-ovmf-hash",
      "a1202d239042539a8acbeab50c30c5eed55cf925453c6be708485d724441806204a2e1969a2c5d8df31faf11e12b"
      "93c9"},
     "de4a04ffe8ac894bfa562cbd700b9d7938bc166ca596363b8161c475f46ed9c1aec9a013b8303ed7b9c7a95772b19"
     "816"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd' -v
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev", "-v"},
     "Calculated SEV_SNP guest measurement: "
     "de4a04ffe8ac894bfa562cbd700b9d7938bc166ca596363b8161c475f46ed9c1aec9a013b8303ed7b9c7a95772b19"
     "816"},
    // sev-snp-measure --mode snp --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus 2 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC-Foo --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Foo", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --vmm-type kvm --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--vmm-type", "kvm", "--ovmf",
      "@amdsev"},
     "USAGE"},
    // sev-snp-measure --mode sev --ovmf '$FX/amdsev.fd' --initrd '$FX/initrd'
    {{"--mode", "sev", "--ovmf", "@amdsev", "--initrd", "@initrd"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus two --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "two", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-sig 010 --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-sig", "010", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp:svsm --vcpus 2 --vcpu-type EPYC --ovmf '$FX/amdsev.fd'
    {{"--mode", "snp:svsm", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"}, "USAGE"},
    // sev-snp-measure --mode snp --vcpus 2 --vcpu-type EPYC --output-format raw --ovmf
    // '$FX/amdsev.fd'
    {{"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--output-format", "raw", "--ovmf",
      "@amdsev"},
     "USAGE"},
};

const std::map<std::string, std::pair<std::string, std::string>> kDebian = {
    {"deb:OVMF.fd",
     {"/usr/share/ovmf/OVMF.fd",
      "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773"}},
    {"deb:OVMF_CODE.fd",
     {"/usr/share/OVMF/OVMF_CODE.fd",
      "d9b568def24088c92f34b5479e0ed7e44d0a4d4cea8a0f5716719180bba48106"}},
    {"deb:OVMF_CODE_4M.fd",
     {"/usr/share/OVMF/OVMF_CODE_4M.fd",
      "b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c"}},
    {"deb:OVMF_CODE.secboot.fd",
     {"/usr/share/OVMF/OVMF_CODE.secboot.fd",
      "6ee6a5db7a1443d17594f1e00e3cf2a2250bc1c95c8f9101bc49c9977ce11a68"}},
    {"deb:OVMF_CODE_4M.secboot.fd",
     {"/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
      "d50189a486d22af418198226a3a5bcb6ddac775590f6a808bd629474ee034d62"}},
};

class MeasureTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One directory per process: ctest runs the suite's tests in parallel processes.
    tmp_ = new testutil::UniqueTempDir("cbit-measure-table");
    dir_ = new std::string(tmp_->path().string());
    for (const auto& [name, s] : testutil::measure_firmwares())
      write_file_atomic(*dir_ + "/" + name + ".fd", testutil::build_firmware(s));
    write_file_atomic(*dir_ + "/kernel", testutil::measure_kernel());
    write_file_atomic(*dir_ + "/initrd", testutil::measure_initrd());
  }
  static void TearDownTestSuite() {
    delete tmp_;
    delete dir_;
  }
  // "@name" names a fixture; "@deb:..." a Debian OVMF file (nullopt: not the pinned build).
  // A missing file is a missing dependency and fails; another build of it is skipped (its
  // digests differ) and counted.
  static std::optional<std::string> path(const std::string& tok) {
    if (tok.rfind("@deb:", 0) == 0) {
      const auto& [p, sha] = kDebian.at(tok.substr(1));
      if (!std::filesystem::exists(p)) {
        ADD_FAILURE() << p << " is missing: scripts/install-deps.sh installs the ovmf package";
        return std::nullopt;
      }
      if (to_hex(crypto::sha256(read_file(p, inputs::kFirmware))) != sha) return std::nullopt;
      return p;
    }
    if (tok == "@kernel" || tok == "@initrd") return *dir_ + "/" + tok.substr(1);
    if (tok.rfind("@", 0) == 0) return *dir_ + "/" + tok.substr(1) + ".fd";
    return tok;
  }
  static testutil::UniqueTempDir* tmp_;
  static std::string* dir_;
};
testutil::UniqueTempDir* MeasureTable::tmp_ = nullptr;
std::string* MeasureTable::dir_ = nullptr;

// The flags as sev-snp-measure's parser sees them ("--flag value", -v).
RawArgs to_raw(const std::vector<std::string>& a) {
  RawArgs r;
  const std::map<std::string, std::optional<std::string> RawArgs::*> opts = {
      {"--mode", &RawArgs::mode},
      {"--vcpus", &RawArgs::vcpus},
      {"--vcpu-type", &RawArgs::vcpu_type},
      {"--vcpu-sig", &RawArgs::vcpu_sig},
      {"--vcpu-family", &RawArgs::vcpu_family},
      {"--vcpu-model", &RawArgs::vcpu_model},
      {"--vcpu-stepping", &RawArgs::vcpu_stepping},
      {"--vmm-type", &RawArgs::vmm_type},
      {"--ovmf", &RawArgs::ovmf},
      {"--kernel", &RawArgs::kernel},
      {"--initrd", &RawArgs::initrd},
      {"--append", &RawArgs::append},
      {"--guest-features", &RawArgs::guest_features},
      {"--output-format", &RawArgs::output_format},
      {"--snp-ovmf-hash", &RawArgs::snp_ovmf_hash},
  };
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == "-v") {
      r.verbose = true;
      continue;
    }
    EXPECT_TRUE(opts.count(a[i]) && i + 1 < a.size()) << a[i];
    r.*opts.at(a[i]) = a[i + 1];
    ++i;
  }
  return r;
}

TEST_F(MeasureTable, MatchesSevSnpMeasure) {
  size_t checked = 0, skipped = 0, digests = 0, errors = 0;
  for (const Case& c : kCases) {
    std::vector<std::string> args;
    bool ok = true;
    std::string shown;
    for (const auto& t : c.args) {
      const auto p = path(t);
      if (!p) ok = false;
      args.push_back(p.value_or(""));
      shown += " " + t;
    }
    if (!ok) {
      ++skipped;
      continue;
    }
    SCOPED_TRACE("cbit measure" + shown);
    std::string out, err_kind;
    try {
      out = tools::measure::digest_output(tools::measure::resolve(to_raw(args)));
    } catch (const tools::measure::UsageError&) {
      err_kind = "USAGE";
    } catch (const InputError&) {
      err_kind = "ERR";
    }
    if (c.expected == "ERR" || c.expected == "USAGE") {
      EXPECT_EQ(err_kind, c.expected) << "printed: " << out;
      ++errors;
    } else {
      EXPECT_EQ(err_kind, "");
      EXPECT_EQ(out, c.expected + "\n");
      ++digests;
    }
    ++checked;
  }
  // The Debian rows need the pinned ovmf package; everything else must always run.
  EXPECT_GE(checked, 200u);
  EXPECT_GE(digests, 180u);
  EXPECT_GE(errors, 30u);
  if (skipped) std::printf("note: %zu Debian OVMF rows skipped (different ovmf build)\n", skipped);
}

// Control: the table would catch a wrong digest (one changed input bit changes the output).
TEST_F(MeasureTable, ControlDifferentInputsDiffer) {
  auto run = [](std::vector<std::string> a) {
    for (auto& t : a) t = path(t).value();
    return tools::measure::digest_output(tools::measure::resolve(to_raw(a)));
  };
  const std::string base =
      run({"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"});
  EXPECT_NE(base,
            run({"--mode", "snp", "--vcpus", "3", "--vcpu-type", "EPYC", "--ovmf", "@amdsev"}));
  EXPECT_NE(base, run({"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC-Rome", "--ovmf",
                       "@amdsev"}));
  EXPECT_NE(base,
            run({"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev_big"}));
  EXPECT_NE(base, run({"--mode", "snp", "--vcpus", "2", "--vcpu-type", "EPYC", "--ovmf", "@amdsev",
                       "--guest-features", "0x21"}));
}

}  // namespace
}  // namespace cbit

// The SEV / SEV-ES launch digest: the Secure Processor runs one SHA-256 over every byte given
// to LAUNCH_UPDATE_DATA and (SEV-ES) LAUNCH_UPDATE_VMSA, in order; LAUNCH_MEASURE then MACs
// it with the TIK (SPEC-FACTS "Launch digests"; SEV API 6.4-6.6).
#pragma once
#include "common/bytes.h"
#include "crypto/hash.h"

namespace cbit::psp::digest {

class SevLaunchDigest {
 public:
  SevLaunchDigest() : h_(crypto::Hasher::Algo::Sha256) {}
  void update_data(ByteSpan data) { h_.update(data); }            // LAUNCH_UPDATE_DATA
  void update_vmsa(ByteSpan vmsa_page) { h_.update(vmsa_page); }  // LAUNCH_UPDATE_VMSA
  // The digest so far is final: LAUNCH_MEASURE closes the launch.
  crypto::Sha256Digest finish();

 private:
  crypto::Hasher h_;
};

}  // namespace cbit::psp::digest

#include "hw/memctrl/aes_engine.h"

#include <openssl/crypto.h>

#include <array>
#include <ostream>

#include "common/error.h"
#include "hw/memctrl/xts_evp.h"
#include "hw/memctrl/xts_tweak.h"
#include "hw/memctrl/xts_vaes.h"

namespace cbit::hw {

const char* aes_backend_name(AesBackend b) {
  switch (b) {
    case AesBackend::Auto:
      return "Auto";
    case AesBackend::Portable:
      return "Portable";
    case AesBackend::Vaes:
      return "Vaes";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, AesBackend b) { return os << aes_backend_name(b); }

namespace {

constexpr size_t kPageBlocks = kPageSize / kAesBlockSize;

}  // namespace

struct AesEngine::Impl {
  AesBackend backend = AesBackend::Portable;
  std::unique_ptr<xts::EvpBackend> evp;     // Portable
  std::unique_ptr<vaes::RoundKeys> k1, k2;  // Vaes
  // XE: t_bit[i] = E_K2(le128(i)) for address bits i >= 4 (zero below), and the XOR of them over
  // the eight in-page bits 4..11 for each of the 256 block offsets, so a block's tweak is
  // page_tweak(p) ^ offset_tweaks[block].
  std::array<xts::Tweak, 64> t_bit{};
  alignas(64) std::array<uint8_t, kPageSize> offset_tweaks{};

  ~Impl() {
    for (auto* k : {k1.get(), k2.get()}) {
      if (k != nullptr) OPENSSL_cleanse(k, sizeof *k);
    }
    OPENSSL_cleanse(t_bit.data(), sizeof t_bit);
    OPENSSL_cleanse(offset_tweaks.data(), offset_tweaks.size());
  }

  // out = E_K2(in), for tweaks.
  void tweak_block(const uint8_t* in, uint8_t* out) const {
    if (backend == AesBackend::Vaes) {
      vaes::encrypt_block(*k2, in, out);
    } else {
      evp->tweak_block(in, out);
    }
  }

  xts::Tweak page_tweak(uint64_t pa) const {
    xts::Tweak t;
    for (uint64_t bits = pa & kPageMask; bits != 0; bits &= bits - 1) {
      t = t ^ t_bit[static_cast<unsigned>(__builtin_ctzll(bits))];
    }
    return t;
  }
};

AesEngine::AesEngine(CipherMode mode, const KeyMaterial& key)
    : AesEngine(mode, key, AesBackend::Auto) {}

AesEngine::AesEngine(CipherMode mode, const KeyMaterial& key, AesBackend backend)
    : mode_(mode), impl_(std::make_unique<Impl>()) {
  if (backend == AesBackend::Auto) {
    backend = vaes::cpu_supported() ? AesBackend::Vaes : AesBackend::Portable;
  }
  impl_->backend = backend;
  if (backend == AesBackend::Vaes) {
    CBIT_ASSERT(vaes::cpu_supported());
    impl_->k1 = std::make_unique<vaes::RoundKeys>();
    impl_->k2 = std::make_unique<vaes::RoundKeys>();
    vaes::expand_key(key.len_, key.data_.data(), *impl_->k1);
    vaes::expand_key(key.len_, key.tweak_.data(), *impl_->k2);
  } else {
    CBIT_ASSERT(backend == AesBackend::Portable);
    impl_->evp = std::make_unique<xts::EvpBackend>(key.len_, key.data_.data(), key.tweak_.data());
  }
  if (mode == CipherMode::Xe) {
    for (unsigned i = 4; i < 64; ++i) {
      uint8_t in[16] = {};
      uint8_t out[16];
      store_le<uint64_t>(in, i);
      impl_->tweak_block(in, out);
      impl_->t_bit[i] = xts::Tweak::load(out);
      OPENSSL_cleanse(out, sizeof out);
    }
    for (size_t j = 0; j < kPageBlocks; ++j) {
      xts::Tweak t;
      for (unsigned b = 0; b < 8; ++b) {
        if (j & (size_t{1} << b)) t = t ^ impl_->t_bit[b + 4];
      }
      t.store(impl_->offset_tweaks.data() + j * kAesBlockSize);
    }
  }
}

AesEngine::~AesEngine() = default;

AesBackend AesEngine::backend() const { return impl_->backend; }

bool AesEngine::vaes_available() { return vaes::cpu_supported(); }

namespace {

void check_range(SysPhysAddr pa, ByteSpan in, MutByteSpan out) {
  CBIT_ASSERT(in.size() == out.size());
  CBIT_ASSERT(pa.value % kAesBlockSize == 0 && in.size() % kAesBlockSize == 0);
  CBIT_ASSERT(pa.page_offset() + in.size() <= kPageSize);
}

}  // namespace

void AesEngine::encrypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out) const {
  check_range(pa, in, out);
  if (in.empty()) return;
  crypt(pa, in, out, true);
}

void AesEngine::decrypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out) const {
  check_range(pa, in, out);
  if (in.empty()) return;
  crypt(pa, in, out, false);
}

void AesEngine::crypt(SysPhysAddr pa, ByteSpan in, MutByteSpan out, bool enc) const {
  const size_t first = pa.page_offset() / kAesBlockSize;
  const size_t nblocks = in.size() / kAesBlockSize;
  if (mode_ == CipherMode::Xex) {
    // The model's XEX instance (aes_engine.h): data unit the 4 KiB page, sector number the pfn
    // as a 128-bit LE integer.
    uint8_t iv[16] = {};
    store_le<uint64_t>(iv, pa.pfn());
    if (impl_->backend == AesBackend::Vaes) {
      vaes::xex(*impl_->k1, *impl_->k2, iv, static_cast<unsigned>(first), in.data(), out.data(),
                nblocks, enc);
    } else {
      impl_->evp->xex(iv, static_cast<unsigned>(first), in.data(), out.data(), nblocks, enc);
    }
    return;
  }
  const uint8_t* offs = impl_->offset_tweaks.data() + first * kAesBlockSize;
  const xts::Tweak page = impl_->page_tweak(pa.value);
  if (impl_->backend == AesBackend::Vaes) {
    uint8_t pt[16];
    page.store(pt);
    vaes::xe(*impl_->k1, pt, offs, in.data(), out.data(), nblocks, enc);
  } else {
    impl_->evp->xe(page, offs, in.data(), out.data(), nblocks, enc);
  }
}

}  // namespace cbit::hw

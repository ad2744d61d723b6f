// The SHA-384 digests of the 4 KiB pages psp::digest::sha384_pages() hashed in this process
// (`cbit measure`'s prediction of an image: the guest owner's side), so that the simulated
// firmware's SNP_LAUNCH_UPDATE of the same bytes (SNP ABI §8.17, PAGE_INFO.CONTENTS) does not
// hash them a second time. SHA-384 is a function of the bytes alone, and a page counts as the
// same only when all 4096 bytes compare equal, so the digest is the one the firmware would
// compute. Only the prediction remembers (the owner's own image); the firmware only looks up.
// At most kRememberedPages pages (16 MiB); thread-safe. A miss is never wrong, only slower.
#pragma once
#include <cstddef>
#include <optional>

#include "common/bytes.h"
#include "crypto/hash.h"

namespace cbit::psp::digest {

inline constexpr size_t kRememberedPages = 4096;
// sha384_pages() calls it for each page; `page` must be 4096 bytes.
void remember_page_digest(ByteSpan page, const crypto::Sha384Digest& digest);
// The digest of a page with exactly these 4096 bytes, if one was remembered.
std::optional<crypto::Sha384Digest> remembered_page_digest(ByteSpan page);

}  // namespace cbit::psp::digest

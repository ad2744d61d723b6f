// Searching text (a log, a trace, a JSON output) for key material in the three spellings a leak
// would take: the raw bytes, hex (either case) and base64. Any 8-byte piece of a key counts as
// raw or hex; base64 is searched as 12-character groups (9 key bytes) at each of the three
// byte alignments an encoder could start from.
#pragma once
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace cbit::testutil {

class KeyNeedles {
 public:
  explicit KeyNeedles(const std::vector<Bytes>& keys) {
    for (const Bytes& k : keys) {
      for (size_t off = 0; off + 8 <= k.size(); off += 4) {
        raw_.emplace_back(k.begin() + static_cast<long>(off),
                          k.begin() + static_cast<long>(off) + 8);
        std::string h;
        for (size_t i = 0; i < 8; ++i) {
          static constexpr char kHex[] = "0123456789abcdef";
          h += kHex[k[off + i] >> 4];
          h += kHex[k[off + i] & 15];
        }
        hex_.push_back(h);
      }
      for (size_t shift = 0; shift < 3 && shift + 9 <= k.size(); ++shift) {
        const size_t n = k.size() - shift;
        std::string enc(4 * ((n + 2) / 3) + 1, '\0');
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(enc.data()), k.data() + shift,
                        static_cast<int>(n));
        enc.resize(4 * (n / 3));  // whole groups only: the last one depends on what follows
        for (size_t c = 0; c + 12 <= enc.size(); c += 4) b64_.push_back(enc.substr(c, 12));
      }
    }
  }
  // Occurrences of any needle in `text`.
  size_t in(const std::string& text) const {
    size_t n = 0;
    const auto count = [&](const std::string& hay, const std::string& needle) {
      for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    };
    for (const Bytes& r : raw_) count(text, std::string(r.begin(), r.end()));
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& h : hex_) count(lower, h);
    for (const auto& b : b64_) count(text, b);
    return n;
  }

 private:
  std::vector<Bytes> raw_;
  std::vector<std::string> hex_, b64_;
};

// A key spelled the three ways, for the controls.
inline std::string spelled(const Bytes& key) {
  std::string out(key.begin(), key.end());
  out.push_back(' ');
  for (uint8_t b : key) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  std::string enc(4 * ((key.size() + 2) / 3) + 1, '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(enc.data()), key.data(),
                  static_cast<int>(key.size()));
  out.push_back(' ');
  out.append(enc.c_str());
  return out;
}

}  // namespace cbit::testutil

// Bounded stand-in for libFuzzer's main(), used when cbit is built with gcc.
// Replays every file of the corpus directory given as argv[1], then feeds a fixed number of
// deterministic mutations of those files (bit flips, truncations, splices, random bytes), so
// every CI run exercises each parser with hostile input. With clang, build with
// -DCBIT_LIBFUZZER=ON to get a real coverage-guided fuzzer instead.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::vector<uint8_t>> corpus;
  if (argc > 1 && std::filesystem::is_directory(argv[1])) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (corpus.empty()) corpus.push_back({});
  for (const auto& input : corpus) LLVMFuzzerTestOneInput(input.data(), input.size());

  const char* env = std::getenv("CBIT_FUZZ_RUNS");
  const long runs = env ? std::atol(env) : 4000;
  std::mt19937_64 rng(0xC0B17);
  for (long i = 0; i < runs; ++i) {
    std::vector<uint8_t> buf = corpus[rng() % corpus.size()];
    switch (rng() % 5) {
      case 0:  // flip a few bits
        for (int k = 0, n = 1 + rng() % 8; k < n && !buf.empty(); ++k)
          buf[rng() % buf.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // truncate
        if (!buf.empty()) buf.resize(rng() % buf.size());
        break;
      case 2:  // overwrite a run with random bytes
        for (size_t k = 0, n = rng() % 64; k < n && !buf.empty(); ++k)
          buf[rng() % buf.size()] = static_cast<uint8_t>(rng());
        break;
      case 3: {  // splice with another input
        const auto& other = corpus[rng() % corpus.size()];
        if (!other.empty() && !buf.empty()) {
          size_t at = rng() % buf.size(), from = rng() % other.size();
          for (size_t k = 0; at + k < buf.size() && from + k < other.size() && k < 256; ++k)
            buf[at + k] = other[from + k];
        }
        break;
      }
      default:  // fully random
        buf.resize(rng() % 4096);
        for (auto& b : buf) b = static_cast<uint8_t>(rng());
    }
    // Interesting integers at random places: lengths and offsets are what parsers trust.
    if (buf.size() >= 8 && rng() % 3 == 0) {
      static const uint64_t magic[] = {0, 1, 0x7f, 0xff, 0xffff, 0xffffffff, ~0ull, 0x80000000};
      uint64_t v = magic[rng() % 8];
      size_t at = rng() % (buf.size() - 7);
      for (int k = 0; k < 8; ++k) buf[at + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("%zu corpus inputs and %ld mutations ran without a crash\n", corpus.size(), runs);
  return 0;
}

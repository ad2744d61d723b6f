# The two commands: `make demo` and `make test`. Everything else is a step of those.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 2

.PHONY: all deps build demo test test-release test-asan format-check format bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	./$(BUILD)/cbit demo

test: format-check test-release test-asan

test-release: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DCBIT_SANITIZE=ON -DCBIT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j $(JOBS) --output-on-failure

format-check: deps
	@files=$$(git ls-files '*.cc' '*.h' 2>/dev/null || find src tests bench -name '*.cc' -o -name '*.h'); \
	clang-format --dry-run --Werror $$files && echo "clang-format: $$(echo $$files | wc -w) files clean"

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

bench: build
	./$(BUILD)/cbit_bench --benchmark_counters_tabular=true

# libFuzzer (clang) with ASan+UBSan: every fuzz target for FUZZ_SECONDS, FUZZ_JOBS at a time
# (docs/fuzzing.md); crashes land in tests/fuzz/regressions/<name>/.
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O2" -DCBIT_LIBFUZZER=ON -DCBIT_SANITIZE=ON -DCBIT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

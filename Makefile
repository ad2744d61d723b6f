# The two commands: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 2

# A quiet build: make's directory and progress lines are dropped; errors, warnings and a
# failing exit status still come through. $(call quiet_build,DIR,TARGETS)
define quiet_build
	@set -o pipefail; cmake --build $(1) -j $(JOBS) $(2) -- --no-print-directory 2>&1 \
	  | { grep -E -i 'warning|error|undefined reference|\*\*\*' || true; }
endef

.PHONY: all deps configure build demo test test-release test-asan format-check format bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Only the cbit binary (and the guest programs it runs), built quietly, then the demo.
demo: configure
	@echo "make demo: building cbit (errors and warnings only)..."
	$(call quiet_build,$(BUILD),--target cbit)
	@./$(BUILD)/cbit demo

# The release suite includes bench.smoke (every benchmark once, bench/smoke.sh).
test: format-check test-release test-asan

test-release: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

# -g1: line tables and function names, all ASan/UBSan need for symbolised stacks (no variable
# locations: about a quarter less compile time than -g, and smaller objects to link).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" -DCBIT_SANITIZE=ON -DCBIT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest -j $(JOBS) --output-on-failure

format-check: deps
	@files=$$(git ls-files '*.cc' '*.h' 2>/dev/null || find src tests bench -name '*.cc' -o -name '*.h'); \
	clang-format --dry-run --Werror $$files && echo "clang-format: $$(echo $$files | wc -w) files clean"

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

bench: configure
	$(call quiet_build,$(BUILD),--target cbit_bench)
	./$(BUILD)/bench/cbit_bench --benchmark_counters_tabular=true

# libFuzzer (clang) with ASan+UBSan: every fuzz target for FUZZ_SECONDS, FUZZ_JOBS at a time
# (docs/fuzzing.md); crashes land in tests/fuzz/regressions/<name>/.
fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O2" -DCBIT_LIBFUZZER=ON -DCBIT_SANITIZE=ON -DCBIT_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

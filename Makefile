# Thin wrapper over CMake/Ninja. `make demo` and `make test` are the two
# commands a fresh Debian 12 machine needs; both install missing packages first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
# Tests run under an address-space cap so a runaway allocation fails the test
# instead of taking the machine down (8 GiB; the machine has 24).
TEST_MEMORY_KB ?= 8388608

.PHONY: all deps configure build fuzz-build test test-asan test-tsan difftest demo bench fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

# The fuzz build (tests/fuzz): clang with libFuzzer, ASan and UBSan over the
# libraries that read user files; `make test` runs each target briefly.
FUZZ_BUILD ?= build-fuzz

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja -DDLC_FUZZ_BUILD=$(abspath $(FUZZ_BUILD)) $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

$(FUZZ_BUILD)/build.ninja: CMakeLists.txt | deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DDLC_FUZZ=ON > /dev/null

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# The cap is soft (-S) so that the sanitized tests, whose shadow memory
# needs the address space, can lift it and set their own limits.
test: build fuzz-build
	cd $(BUILD) && ulimit -S -v $(TEST_MEMORY_KB) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/tools/dlc/dlc opt examples/gated_loop.dlir
	$(BUILD)/tools/dlc/dlc compile examples/gated_loop.dlir -o $(BUILD)/gated_loop.dlc --stats
	$(BUILD)/tools/dlc/dlc inspect $(BUILD)/gated_loop.dlc
	$(BUILD)/tools/dlc/dlc run $(BUILD)/gated_loop.dlc --random-inputs --seed 1 --shape N=2

# dlc vs ONNX Runtime vs the machine's limits (not a test; see bench/run).
bench: build
	./bench/run --json $(BUILD)/bench/results.json

# Sanitized builds of everything, each with its tests: ASan + UBSan over the
# unit, lit (e2e included) and a sample of the conformance tests; TSan over
# the tests that use the runtime from several threads. Not part of `make
# test` (an instrumented build of the whole compiler takes a while); CI runs
# the ASan build of the libraries that read files (the fuzz build).
SANITIZER_ENV = ASAN_OPTIONS=hard_rss_limit_mb=8192:detect_leaks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 TSAN_OPTIONS=halt_on_error=1
test-asan: deps
	cmake -S . -B build-asan -G Ninja -DDLC_SANITIZE=address > /dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) -E '^install_find_package$$'
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DDLC_SANITIZE=thread > /dev/null
	cmake --build build-tsan -j $(JOBS) --target runtime_tests runtime_abuse_tests compiler_tests program_tests
	cd build-tsan && $(SANITIZER_ENV) ctest --output-on-failure -j $(JOBS) \
	  -R 'ThreadPool|Abuse|Concurrent|Program|Compiler'

# Differential testing of N random dynamic graphs (tests/diff) along
# DIFFTEST_PATHS (every path by default; Halide takes ~1 s a graph, the
# others together ~15 ms: DIFFTEST_PATHS=passes,unrewritten,reference,specialized,fused).
N ?= 1000
DIFFTEST_PATHS ?= passes,unrewritten,reference,specialized,fused,halide
difftest: build
	$(BUILD)/tests/diff/dlc-difftest --seeds $(N) --paths $(DIFFTEST_PATHS) --out $(BUILD)/difftest-out

# Every fuzz target for FUZZ_SECONDS each (tests/fuzz/run says how).
FUZZ_SECONDS ?= 60
fuzz: build fuzz-build
	tests/fuzz/run $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) --dlc $(BUILD)/tools/dlc/dlc

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) build-asan build-tsan

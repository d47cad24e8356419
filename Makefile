# Thin wrapper over CMake/Ninja. `make demo` and `make test` are the two
# commands a fresh Debian 12 machine needs; both install missing packages first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
# Tests run under an address-space cap so a runaway allocation fails the test
# instead of taking the machine down (8 GiB; the machine has 24).
TEST_MEMORY_KB ?= 8388608

.PHONY: all deps configure build test demo bench fuzz clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ulimit -v $(TEST_MEMORY_KB) && ctest --output-on-failure -j $(JOBS)

demo: build
	$(BUILD)/tools/dlc/dlc opt examples/gated_loop.dlir
	$(BUILD)/tools/dlc/dlc compile examples/gated_loop.dlir -o $(BUILD)/gated_loop.dlc --stats
	$(BUILD)/tools/dlc/dlc inspect $(BUILD)/gated_loop.dlc
	$(BUILD)/tools/dlc/dlc run $(BUILD)/gated_loop.dlc --random-inputs --seed 1 --shape N=2

# dlc vs ONNX Runtime vs the machine's limits (not a test; see bench/run).
bench: build
	./bench/run

# libFuzzer targets (tests/fuzz) built with clang, ASan and UBSan in
# $(FUZZ_BUILD), each run FUZZ_SECONDS on a corpus seeded from the repo's
# test files; memory is capped by libFuzzer's limits (ASan needs the address
# space ulimit -v would take).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@./scripts/install-deps.sh --fuzz
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DDLC_FUZZ=ON > /dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	mkdir -p $(FUZZ_BUILD)/corpus/dlir
	cp $$(find tests/lit examples -name '*.dlir') $(FUZZ_BUILD)/corpus/dlir/
	$(FUZZ_BUILD)/tests/fuzz/dlir_fuzzer $(FUZZ_BUILD)/corpus/dlir -max_total_time=$(FUZZ_SECONDS) \
	  -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=1 -max_len=65536 -print_final_stats=1

clean:
	rm -rf $(BUILD)

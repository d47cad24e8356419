# Thin wrapper over CMake/Ninja. `make demo` and `make test` are the two
# commands a fresh Debian 12 machine needs; both install missing packages first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
# Tests run under an address-space cap so a runaway allocation fails the test
# instead of taking the machine down (8 GiB; the machine has 24).
TEST_MEMORY_KB ?= 8388608

.PHONY: all deps configure build test demo bench clean

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

clean:
	rm -rf $(BUILD)

#===- cmake/Dependencies.cmake - Locate Debian's LLVM/MLIR 19 and Halide 14 -===#
#
# MLIR is found through its CMake config without a version number (MLIRConfig
# 19.1.7 rejects `19`). We link the shared libraries (targets MLIR and LLVM),
# never the static archives. Halide's own CMake package loads LLVM 14's config
# and breaks a build that uses LLVM 19, so libHalide14.so is imported by hand.

find_package(fmt REQUIRED)
find_package(GTest REQUIRED)

find_package(MLIR REQUIRED CONFIG
  PATHS /usr/lib/llvm-19/lib/cmake/mlir NO_DEFAULT_PATH)
message(STATUS "dlc: MLIR ${LLVM_PACKAGE_VERSION} from ${MLIR_DIR}")

# One interface target for code that uses MLIR and LLVM (codegen/, tools/).
add_library(dlc_mlir INTERFACE)
target_include_directories(dlc_mlir SYSTEM INTERFACE
  ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
target_compile_definitions(dlc_mlir INTERFACE ${LLVM_DEFINITIONS})
target_link_libraries(dlc_mlir INTERFACE MLIR LLVM)

set(DLC_HALIDE_LIBRARY /usr/lib/x86_64-linux-gnu/libHalide14.so)
set(DLC_HALIDE_INCLUDE /usr/include/halide14)
if(NOT EXISTS ${DLC_HALIDE_LIBRARY})
  message(FATAL_ERROR "Halide 14 not found at ${DLC_HALIDE_LIBRARY}; run scripts/install-deps.sh")
endif()
add_library(dlc_halide SHARED IMPORTED)
set_target_properties(dlc_halide PROPERTIES
  IMPORTED_LOCATION ${DLC_HALIDE_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${DLC_HALIDE_INCLUDE}
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${DLC_HALIDE_INCLUDE})

find_program(DLC_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH REQUIRED)
find_program(DLC_FILECHECK FileCheck-19 PATHS /usr/bin /usr/lib/llvm-19/bin REQUIRED)
set(DLC_LIT /usr/lib/llvm-19/build/utils/lit/lit.py)
set(DLC_NOT /usr/lib/llvm-19/bin/not)

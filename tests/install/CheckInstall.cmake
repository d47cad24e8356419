# Installs dlc into a fresh prefix, builds examples/embed against it with
# find_package(dlc) as a user would, and runs it.
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P CheckInstall.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
include(${CMAKE_CURRENT_LIST_DIR}/../RunCommand.cmake)
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/examples/embed" -B "${WORK_DIR}/build" -G Ninja
    "-DCMAKE_PREFIX_PATH=${prefix}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/embed" "${SOURCE_DIR}/examples/embed/relu.dlir")
message(STATUS "${output}")
foreach(expected "call 1: y = \\[1, 0, 3, 0, 1, ...\\]" "call 3: y = \\[1, 0, 3, 0, 3, ...\\]"
                 "runtime: not a dlc artifact")
  if(NOT output MATCHES "${expected}")
    message(FATAL_ERROR "embed printed:\n${output}\nexpected: ${expected}")
  endif()
endforeach()

# The deployable runtime: a C program built against the installed shared
# library alone (pkg-config, no CMake package) runs a compiled model.
run(${DLC} compile "${SOURCE_DIR}/tests/lit/tools/Inputs/two_inputs.dlir" -o "${WORK_DIR}/two_inputs.dlc")
find_library(libdlrt NAMES dlrt PATHS "${prefix}" PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu
             NO_DEFAULT_PATH REQUIRED)
get_filename_component(libdir "${libdlrt}" DIRECTORY)
if(NOT libdlrt MATCHES "\\.so$")
  message(FATAL_ERROR "the installed runtime is not a shared library: ${libdlrt}")
endif()
set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
run(pkg-config --cflags --libs dlrt)
string(STRIP "${output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
run(cc -std=c11 -Wall -Werror "${SOURCE_DIR}/tests/runtime/api_test.c" ${flags}
    -o "${WORK_DIR}/api_test")
set(ENV{LD_LIBRARY_PATH} "${libdir}")
run("${WORK_DIR}/api_test" "${WORK_DIR}/two_inputs.dlc")
run(readelf -d "${WORK_DIR}/api_test")
if(NOT output MATCHES "libdlrt\\.so" OR output MATCHES "stdc\\+\\+|LLVM|MLIR|Halide")
  message(FATAL_ERROR "api_test should need libdlrt.so and libc alone:\n${output}")
endif()

# dlrt-run runs the model by input and output names.
file(WRITE "${WORK_DIR}/inputs.py" "
import numpy as np
np.save('${WORK_DIR}/a.npy', np.array([[1, -2, 3, -4], [5, -6, 7, -8]], np.float32))
np.save('${WORK_DIR}/b.npy', np.ones((2, 4), np.float32))
")
run(/usr/bin/python3 "${WORK_DIR}/inputs.py")
run("${prefix}/bin/dlrt-run" "${WORK_DIR}/two_inputs.dlc" --input b=${WORK_DIR}/b.npy
    --input a=${WORK_DIR}/a.npy --output-dir "${WORK_DIR}/out" --threads 1)
if(NOT output STREQUAL "r: f32[2,4]\n")
  message(FATAL_ERROR "dlrt-run printed:\n${output}")
endif()
run(/usr/bin/python3 -c "import numpy as np; r = np.load('${WORK_DIR}/out/r.npy'); \
assert (r == np.maximum(np.array([[1, -2, 3, -4], [5, -6, 7, -8]]) + 1, 0)).all(), r")
message(STATUS "installed libdlrt.so and dlrt-run ran the model")

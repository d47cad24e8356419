# Installs dlc into a fresh prefix, builds examples/embed against it with
# find_package(dlc) as a user would, and runs it.
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -P CheckInstall.cmake
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()
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

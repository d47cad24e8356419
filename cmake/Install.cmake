#===- cmake/Install.cmake - `cmake --install` and find_package(dlc) ------===#
#
# Installs the embedding API (dlc/Compiler.h, target dlc::compiler, with the
# static libraries behind it) and the runtime's C API (dlrt.h, target
# dlc::runtime: the shared libdlrt.so) and a CMake package, so a host
# program does
#   find_package(dlc) ... target_link_libraries(app dlc::compiler dlc::runtime)
# The internal libraries are exported too (the static archives need them);
# their headers are not installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS dlc_compiler dlc_onnx dlc_passes dlc_codegen dlc_halide_backend dlc_ir dlrt_program dlrt_artifact dlrt_ops dlrt_kernels
  EXPORT dlcTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The deployable runtime: libdlrt.so (dlc::runtime), dlrt-run and a
# pkg-config file, for hosts that build without CMake:
#   cc app.c $(pkg-config --cflags --libs dlrt)
install(TARGETS dlrt_shared EXPORT dlcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS dlrt-run RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Relocatable: the prefix is found from the .pc file's own folder.
file(RELATIVE_PATH DLRT_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(cmake/dlrt.pc.in ${CMAKE_CURRENT_BINARY_DIR}/dlrt.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dlrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES compiler/include/dlc/Compiler.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dlc)
install(FILES runtime/include/dlrt.h runtime/include/dlrt.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT dlcTargets NAMESPACE dlc::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dlc)
configure_package_config_file(cmake/dlcConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/dlcConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dlc)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dlcConfig.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dlc)

# `cmake --install BUILD [--prefix P]` lays sotsim out as
#   P/bin/sotsim
#   P/share/sotsim/configs/...            presets, tech tables, sweeps (same tree as the repo,
#   P/share/sotsim/workloads/models/...   so relative paths inside sweep files stay valid)
#   P/share/sotsim/scripts/...            plotting and result reader (Python)
#   P/share/sotsim/data/...               downloaded datasets, if scripts/setup.sh fetched them
#   P/lib/libsotsim_*.a, P/include/sotsim/{models,platform,workloads}/...
#   P/lib/cmake/sotsim/sotsimConfig.cmake  find_package(sotsim) -> sotsim::platform, ...
# The executable finds share/sotsim relative to itself (platform/app/Resources.cpp).
# Components: Runtime, Development, Datasets (`cmake --install BUILD --component Runtime`).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SOTSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/sotsim)
set(SOTSIM_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/sotsim)

# Every sotsim_* library in the tree (outside tests/ and bench/), found by walking the
# directories, so a library added later is exported without editing this file.
function(sotsim_collect_libraries dir out)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  set(found "")
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(t MATCHES "^sotsim_" AND type MATCHES "^(STATIC|SHARED|INTERFACE)_LIBRARY$")
      list(APPEND found ${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(sub ${subdirs})
    if(NOT sub MATCHES "/(tests|bench)$")
      sotsim_collect_libraries(${sub} sub_found)
      list(APPEND found ${sub_found})
    endif()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
sotsim_collect_libraries(${PROJECT_SOURCE_DIR} SOTSIM_LIBRARIES)

foreach(lib ${SOTSIM_LIBRARIES})
  string(REGEX REPLACE "^sotsim_" "" short ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${short})
  # The same names inside this build tree (examples built in-tree or against the package).
  if(NOT TARGET sotsim::${short})
    add_library(sotsim::${short} ALIAS ${lib})
  endif()
endforeach()

install(TARGETS sotsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
install(TARGETS ${SOTSIM_LIBRARIES} EXPORT sotsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sotsim)
install(DIRECTORY models platform workloads DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sotsim
        COMPONENT Development FILES_MATCHING PATTERN "*.h" PATTERN "app" EXCLUDE
        REGEX "workloads/models$" EXCLUDE)

# Dependencies of the exported targets, found again in the consumer. Static libraries carry
# their private dependencies too, so every package any library links is listed.
set(SOTSIM_FIND_DEPENDENCIES "find_dependency(Threads)
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::SYSTEMC)
  pkg_check_modules(SYSTEMC REQUIRED IMPORTED_TARGET systemc)
endif()
find_dependency(yaml-cpp)
find_dependency(Eigen3 3.3 NO_MODULE)
find_dependency(Protobuf)
find_dependency(ONNX)
find_dependency(Boost COMPONENTS program_options)
")
foreach(pkg nlohmann_json)
  if(${pkg}_DIR AND NOT ${pkg}_DIR MATCHES "NOTFOUND$")
    string(APPEND SOTSIM_FIND_DEPENDENCIES "find_dependency(${pkg})\n")
  endif()
endforeach()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sotsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sotsimConfig.cmake INSTALL_DESTINATION ${SOTSIM_INSTALL_CMAKEDIR}
  PATH_VARS SOTSIM_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sotsimConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(EXPORT sotsimTargets NAMESPACE sotsim:: DESTINATION ${SOTSIM_INSTALL_CMAKEDIR}
        COMPONENT Development)
install(FILES ${PROJECT_BINARY_DIR}/sotsimConfig.cmake ${PROJECT_BINARY_DIR}/sotsimConfigVersion.cmake
        DESTINATION ${SOTSIM_INSTALL_CMAKEDIR} COMPONENT Development)

install(DIRECTORY configs DESTINATION ${SOTSIM_INSTALL_DATADIR} COMPONENT Runtime)
install(DIRECTORY workloads/models DESTINATION ${SOTSIM_INSTALL_DATADIR}/workloads COMPONENT Runtime)
file(GLOB SOTSIM_PY_SCRIPTS ${PROJECT_SOURCE_DIR}/scripts/*.py)
install(PROGRAMS ${SOTSIM_PY_SCRIPTS} DESTINATION ${SOTSIM_INSTALL_DATADIR}/scripts COMPONENT Runtime)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)
# Datasets are downloaded by scripts/setup.sh (not part of the sources); installed when
# present at configure time, without the npm tarballs.
if(EXISTS ${PROJECT_SOURCE_DIR}/data)
  file(REAL_PATH ${PROJECT_SOURCE_DIR}/data SOTSIM_DATA_SRC)   # data/ may be a symlink
  install(DIRECTORY ${SOTSIM_DATA_SRC}/ DESTINATION ${SOTSIM_INSTALL_DATADIR}/data COMPONENT Datasets
          PATTERN "*.tgz" EXCLUDE)
endif()

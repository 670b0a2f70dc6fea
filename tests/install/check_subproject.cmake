# A host project that adds subhost with add_subdirectory gets the library
# alone: no tests, benchmarks, samples or subhost command among its targets.
# Then the install components of subhost's own build hold what they say.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/host)
file(WRITE ${WORK_DIR}/host/CMakeLists.txt "
cmake_minimum_required(VERSION 3.22)
project(host LANGUAGES C CXX)
add_subdirectory(\"${SOURCE_DIR}\" subhost)
add_executable(host main.cpp)
target_link_libraries(host PRIVATE subhost::subhost)
")
file(WRITE ${WORK_DIR}/host/main.cpp
  "#include <subhost/subhost.h>\nint main() { return 0; }\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S ${WORK_DIR}/host
                        -B ${WORK_DIR}/host-build
                        -DPython3_EXECUTABLE=${Python3_EXECUTABLE}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "configuring a host project around subhost failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/host-build
                        --target help
                OUTPUT_VARIABLE targets RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "listing the host project's targets failed")
endif()
if(NOT targets MATCHES "\\.\\.\\. subhost\n")
  message(FATAL_ERROR "the host project has no subhost library:\n${targets}")
endif()
foreach(unwanted subhost_engine_test subhost_server_test subhost_micro
                 subhost_embed subhost_cmd)
  if(targets MATCHES "${unwanted}")
    message(FATAL_ERROR "the host project builds ${unwanted}:\n${targets}")
  endif()
endforeach()

# Components of subhost's own build.
foreach(component dev server library)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}
                          --component ${component}
                          --prefix ${WORK_DIR}/${component}
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(rc)
    message(FATAL_ERROR "installing component ${component} failed")
  endif()
endforeach()
set(dev ${WORK_DIR}/dev)
if(NOT EXISTS ${dev}/include/subhost/engine.h
   OR NOT EXISTS ${dev}/lib/cmake/subhost/subhostConfig.cmake
   OR EXISTS ${dev}/bin/subhost)
  message(FATAL_ERROR "component dev: headers and package, not the command")
endif()
if(NOT EXISTS ${WORK_DIR}/server/bin/subhost
   OR EXISTS ${WORK_DIR}/server/include)
  message(FATAL_ERROR "component server: the command alone")
endif()
if(EXISTS ${WORK_DIR}/library/include OR EXISTS ${WORK_DIR}/library/bin)
  message(FATAL_ERROR "component library: no headers, no command")
endif()

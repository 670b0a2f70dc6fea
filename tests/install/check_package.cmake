# Installs the built library to a scratch prefix, builds samples/embed against
# it with find_package(subhost), and runs the result.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR}
                        --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
set(extra)
if(SANITIZE)
  set(extra "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined"
            "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/samples/embed
                        -B ${WORK_DIR}/build
                        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                        -DPython3_EXECUTABLE=${Python3_EXECUTABLE} ${extra}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the embed sample failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the embed sample failed: ${rc}")
endif()
execute_process(COMMAND ${WORK_DIR}/build/subhost_embed ${SOURCE_DIR}/samples
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(rc)
  message(FATAL_ERROR "the embed sample failed (${rc}): ${err}")
endif()
set(expected "GET / -> 200" "Hello, World!" "GET /nothing/here -> 200")
# Debian's Flask and Django are importable by its own python3.11.
if(Python3_EXECUTABLE MATCHES "^/usr/bin/python3")
  list(APPEND expected "GET /flask/json -> 200" "GET /django/json/ -> 200"
       "\"script_name\":\"/flask\"" "\"url\": \"/django/json/\""
       "Hello, &lt;b&gt;bold&lt;/b&gt;!")
endif()
foreach(expect IN LISTS expected)
  string(FIND "${out}" "${expect}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the embed sample's output lacks '${expect}'")
  endif()
endforeach()

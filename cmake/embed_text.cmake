# Turns a text file into a C++ header holding it as one raw string literal,
# so that source kept in its own language (engine/python/bootstrap.py) can be
# read and linted as such and still ship inside the library.
#
#   cmake -DINPUT=file -DOUTPUT=header -DSYMBOL=kName -DTEMPLATE=embedded_text.h.in
#         -P embed_text.cmake
foreach(var INPUT OUTPUT SYMBOL TEMPLATE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" EMBED_CONTENT)
set(EMBED_DELIMITER "subhost_embed")
string(FIND "${EMBED_CONTENT}" ")${EMBED_DELIMITER}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter "
                      "')${EMBED_DELIMITER}\"'")
endif()
get_filename_component(EMBED_SOURCE_NAME "${INPUT}" NAME)
set(EMBED_SYMBOL "${SYMBOL}")
# @ONLY: substituted values are not scanned again, so '@' or '${' in the
# embedded text stays as it is.
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
# configure_file keeps an unchanged file's time; the build tool needs the
# output newer than its inputs, or it runs this again at every build.
file(TOUCH "${OUTPUT}")

// Building the PEP 3333 environ. A per-mount template holds the keys that do
// not change between requests; each request copies it and adds the rest.
//
// Thread contract: needs the GIL of the interpreter that owns st.
#ifndef SUBHOST_ENGINE_PYTHON_ENVIRON_H_
#define SUBHOST_ENGINE_PYTHON_ENVIRON_H_

#include <Python.h>

#include <string_view>

#include "engine/python/module.h"
#include "subhost/request.h"

namespace subhost::python {

struct EnvironFlags {
  bool multithread = true;
  bool multiprocess = false;
};

// New reference, or null with an exception set.
PyObject* MakeEnvironTemplate(ModuleState* st, std::string_view script_name,
                              PyObject* errors, const EnvironFlags& flags);

// New reference, or null with an exception set. script_name and path_info
// are already percent-decoded.
PyObject* BuildEnviron(ModuleState* st, PyObject* environ_template,
                       const Request& request, std::string_view script_name,
                       std::string_view path_info, PyObject* input);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_ENVIRON_H_

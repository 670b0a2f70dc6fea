// Python exceptions as C++ values: the pending exception, taken and
// formatted for the log (summary line and traceback).
//
// Thread contract: needs the GIL of the interpreter the exception is in.
#ifndef SUBHOST_ENGINE_PYTHON_PY_ERROR_H_
#define SUBHOST_ENGINE_PYTHON_PY_ERROR_H_

#include <string>

#include "engine/python/module_state.h"

namespace subhost::python {

struct PyError {
  std::string summary;    // "ValueError: bad thing"
  std::string traceback;  // the full formatted traceback
};
// Takes the pending exception (clearing it) and formats it. st (may be
// null) caches traceback.format_exception.
PyError FetchPendingError(ModuleState* st);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_PY_ERROR_H_

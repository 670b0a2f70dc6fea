// wsgi.errors (`_subhost.Errors`): a text stream whose lines go to the log.
//
// Thread contract: needs the GIL of the object's interpreter.
#ifndef SUBHOST_ENGINE_PYTHON_ERRORS_TYPE_H_
#define SUBHOST_ENGINE_PYTHON_ERRORS_TYPE_H_

#include <Python.h>

#include <string>

#include "engine/log.h"
#include "engine/python/module_state.h"

namespace subhost::python {

PyType_Spec* ErrorsTypeSpec();

// A new wsgi.errors stream writing lines, prefixed, to logger.
PyObject* NewErrors(ModuleState* st, const Logger& logger, std::string prefix);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_ERRORS_TYPE_H_

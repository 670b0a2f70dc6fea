// wsgi.input (`_subhost.Input`): a file-like reader over a RequestBody.
//
// Thread contract: needs the GIL of the object's interpreter.
#ifndef SUBHOST_ENGINE_PYTHON_INPUT_TYPE_H_
#define SUBHOST_ENGINE_PYTHON_INPUT_TYPE_H_

#include <Python.h>

#include "engine/python/module_state.h"

namespace subhost::python {

class RequestBody;

PyType_Spec* InputTypeSpec();

// A new wsgi.input reading from body (which must outlive the object or be
// detached first by attaching null).
PyObject* NewInput(ModuleState* st, RequestBody* body);
void AttachInput(PyObject* input, RequestBody* body);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_INPUT_TYPE_H_

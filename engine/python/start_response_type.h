// start_response (`_subhost.StartResponse`): the callable handed to the app,
// which is also the write() it returns (called with one argument). A
// vectorcall object bound to the WsgiCall of its request.
//
// Thread contract: needs the GIL of the object's interpreter.
#ifndef SUBHOST_ENGINE_PYTHON_START_RESPONSE_TYPE_H_
#define SUBHOST_ENGINE_PYTHON_START_RESPONSE_TYPE_H_

#include <Python.h>

#include "engine/python/module_state.h"

namespace subhost::python {

class WsgiCall;

PyType_Spec* StartResponseTypeSpec();

// A new start_response callable bound to call; calling it with one argument
// is write(). Attach null before call is destroyed.
PyObject* NewStartResponse(ModuleState* st, WsgiCall* call);
void AttachStartResponse(PyObject* start_response, WsgiCall* call);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_START_RESPONSE_TYPE_H_

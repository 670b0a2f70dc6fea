// wsgi.file_wrapper (`_subhost.FileWrapper`): wraps a file-like; the bridge
// sends a real file with ResponseSink::SendFile, anything else is iterated
// in blksize reads.
//
// Thread contract: needs the GIL of the object's interpreter.
#ifndef SUBHOST_ENGINE_PYTHON_FILE_WRAPPER_TYPE_H_
#define SUBHOST_ENGINE_PYTHON_FILE_WRAPPER_TYPE_H_

#include <Python.h>

#include "engine/python/module_state.h"

namespace subhost::python {

PyType_Spec* FileWrapperTypeSpec();

// If o is a wsgi.file_wrapper made by this module, its file object
// (borrowed) and block size.
bool AsFileWrapper(ModuleState* st, PyObject* o, PyObject** filelike,
                   Py_ssize_t* blksize);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_FILE_WRAPPER_TYPE_H_

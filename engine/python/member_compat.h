// PyMemberDef spellings across CPython versions: 3.12 renamed T_PYSSIZET
// and READONLY (structmember.h) to Py_T_PYSSIZET and Py_READONLY.
#ifndef SUBHOST_ENGINE_PYTHON_MEMBER_COMPAT_H_
#define SUBHOST_ENGINE_PYTHON_MEMBER_COMPAT_H_

#include <Python.h>
#include <structmember.h>

#if PY_VERSION_HEX >= 0x030C0000
#define SUBHOST_T_PYSSIZET Py_T_PYSSIZET
#define SUBHOST_READONLY Py_READONLY
#else
#define SUBHOST_T_PYSSIZET T_PYSSIZET
#define SUBHOST_READONLY READONLY
#endif

#endif  // SUBHOST_ENGINE_PYTHON_MEMBER_COMPAT_H_

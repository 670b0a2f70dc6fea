#include "engine/python/start_response_type.h"

#include "engine/python/member_compat.h"
#include "engine/python/wsgi_call.h"

namespace subhost::python {

namespace {

struct StartResponseObject {
  PyObject_HEAD
  vectorcallfunc vectorcall;
  WsgiCall* call;  // null once the request is over
};

PyObject* StartResponseCall(PyObject* self, PyObject* const* args,
                            size_t nargsf, PyObject* kwnames) {
  auto* sr = reinterpret_cast<StartResponseObject*>(self);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0) {
    // Only exc_info may be given by keyword.
    if (PyTuple_GET_SIZE(kwnames) != 1 || nargs != 2 ||
        PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, 0),
                                         "exc_info") != 0) {
      PyErr_SetString(PyExc_TypeError,
                      "start_response(status, headers, exc_info=None)");
      return nullptr;
    }
    nargs = 3;
  }
  if (sr->call == nullptr) {
    PyErr_SetString(PyExc_RuntimeError,
                    "start_response/write used after the request ended");
    return nullptr;
  }
  // The same object is start_response and the write() it returns: one
  // argument means write(data).
  if (nargs == 1) return sr->call->Write(args[0]);
  return sr->call->StartResponse(self, args, nargs);
}

PyMemberDef start_response_members[] = {
    {const_cast<char*>("__vectorcalloffset__"), SUBHOST_T_PYSSIZET,
     offsetof(StartResponseObject, vectorcall), SUBHOST_READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr}};

PyType_Slot start_response_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(PlainDealloc)},
    {Py_tp_call, reinterpret_cast<void*>(PyVectorcall_Call)},
    {Py_tp_members, start_response_members},
    {Py_tp_doc,
     const_cast<char*>("start_response(status, headers, exc_info=None) -> "
                       "write; write(data) when called with one argument")},
    {0, nullptr}};

PyType_Spec start_response_spec = {
    "_subhost.StartResponse", sizeof(StartResponseObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL |
        Py_TPFLAGS_DISALLOW_INSTANTIATION,
    start_response_slots};
}  // namespace

PyType_Spec* StartResponseTypeSpec() { return &start_response_spec; }

PyObject* NewStartResponse(ModuleState* st, WsgiCall* call) {
  auto* o = PyObject_New(StartResponseObject, TypeOf(st->start_response_type));
  if (o == nullptr) return nullptr;
  o->vectorcall = StartResponseCall;
  o->call = call;
  return reinterpret_cast<PyObject*>(o);
}

void AttachStartResponse(PyObject* start_response, WsgiCall* call) {
  reinterpret_cast<StartResponseObject*>(start_response)->call = call;
}

}  // namespace subhost::python

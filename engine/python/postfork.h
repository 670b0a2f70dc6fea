// What a forked worker must redo in each interpreter, since no at-fork hook
// runs in a sub-interpreter (PyOS_AfterFork_Child must not be called while
// sub-interpreters exist: see CPYTHON.md): reseed the global random
// generators that fork duplicated, then run the apps' postfork hooks.
//
// Thread contract: call with the interpreter owning st entered (its GIL
// held), and no other thread running Python code in the process.
#ifndef SUBHOST_ENGINE_PYTHON_POSTFORK_H_
#define SUBHOST_ENGINE_PYTHON_POSTFORK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/log.h"
#include "engine/python/module.h"

namespace subhost::python {

// Reseeds from OS entropy the module-level generators of `random` (and of
// `numpy.random`) if this interpreter imported them, then calls, in
// registration order, the postfork hooks that engine `owner` registered
// here. A hook that raises is logged with its traceback, under its mount's
// prefix, and the others still run. Returns one line per failure
// ("mount '/a': postfork hook 'f' raised ValueError: x"); empty when all ran.
std::vector<std::string> RunAfterFork(ModuleState* st, std::uint64_t owner,
                                      const Logger& log);

// Drops the hooks that engine `owner` registered here: all of them, or when
// mountpoint is given only those of that mount (one that failed to load).
// The main interpreter outlives engines, and a hook must not outlive its app.
void ForgetHooks(ModuleState* st, std::uint64_t owner,
                 const std::string* mountpoint = nullptr);

}  // namespace subhost::python

#endif  // SUBHOST_ENGINE_PYTHON_POSTFORK_H_

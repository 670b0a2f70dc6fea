// Everything a C++ program needs to embed subhost.
#ifndef SUBHOST_SUBHOST_H_
#define SUBHOST_SUBHOST_H_

#include "subhost/engine.h"
#include "subhost/options.h"
#include "subhost/request.h"
#include "subhost/status.h"

#endif  // SUBHOST_SUBHOST_H_

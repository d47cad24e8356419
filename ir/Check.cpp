//===- Check.cpp - Internal consistency checks ---------------------------===//

#include "ir/Check.h"

#include <cstdio>
#include <cstdlib>

namespace dlc {

void reportInternalError(const char *file, int line, const char *condition,
                         const char *message) {
  std::fflush(stdout);
  std::fprintf(stderr, "dlc: internal error: %s (%s) at %s:%d\n", message,
               condition, file, line);
  std::fflush(stderr);
  std::_Exit(2);
}

} // namespace dlc

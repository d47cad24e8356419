//===- Check.h - Internal consistency checks ------------------*- C++ -*-===//
//
// DLC_CHECK guards compiler invariants, never user input: a failed check is a
// dlc bug. It prints the condition and location and exits with status 2, the
// driver's "internal error" code. Input errors go through Diagnostics instead.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_CHECK_H
#define DLC_IR_CHECK_H

namespace dlc {
/// Prints "internal error" with the location and message, then exits with 2.
[[noreturn]] void reportInternalError(const char *file, int line,
                                      const char *condition,
                                      const char *message);
} // namespace dlc

#define DLC_CHECK(cond, msg)                                                   \
  do {                                                                         \
    if (!(cond))                                                               \
      ::dlc::reportInternalError(__FILE__, __LINE__, #cond, msg);             \
  } while (false)

#define DLC_UNREACHABLE(msg)                                                   \
  ::dlc::reportInternalError(__FILE__, __LINE__, "unreachable", msg)

#endif // DLC_IR_CHECK_H

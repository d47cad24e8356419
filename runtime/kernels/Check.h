//===- Check.h - The checks a kernel makes before it touches data -*- C++ -*-===//
//
// Kernels and the op entry points that call them check the views they
// index by before they read or write: a program of inconsistent shapes (a
// compiler bug, a damaged file whose checksum holds) then fails with a
// message naming the op and the view instead of reading or writing past a
// buffer.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_CHECK_H
#define DLRT_KERNELS_CHECK_H

#include "kernels/ElementType.h"

#include <string>
#include <string_view>
#include <vector>

namespace dlrt::kernels {

/// "[2,3]".
std::string dimsText(const std::vector<int64_t> &dims);

/// An error unless `x` (named `what`) has exactly `dims`.
Status expectDims(const BufferView &x, const std::vector<int64_t> &dims, std::string_view op,
                  std::string_view what);
/// An error unless `x` holds `count` elements.
Status expectElements(const BufferView &x, int64_t count, std::string_view op,
                      std::string_view what);
/// An error unless `x` has rank `rank` (or at least `rank`, when `atLeast`).
Status expectRank(const BufferView &x, int32_t rank, std::string_view op, std::string_view what,
                  bool atLeast = false);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_CHECK_H

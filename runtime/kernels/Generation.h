//===- Generation.h - Reference kernels that generate tensors --*- C++ -*-===//
//
// range, one_hot and trilu with ONNX semantics.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_GENERATION_H
#define DLRT_KERNELS_GENERATION_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

/// out[i] = start + i * delta (start and delta: one-element buffers of
/// out's type); out's size is the caller's (ceil((limit - start) / delta)).
Status range(const BufferView &start, const BufferView &delta, const BufferView &out);

/// out = values[1] where the index along `axis` equals indices (negative
/// counting from the end), values[0] elsewhere.
Status oneHot(int64_t axis, const BufferView &indices, const BufferView &values,
              const BufferView &out);

/// out = the upper (or lower) triangle of each matrix of x from diagonal k.
Status trilu(bool upper, int64_t k, const BufferView &x, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_GENERATION_H

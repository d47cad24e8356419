/*===- dlrt.h - The dlc runtime's C API ------------------------*- C -*-===//
 *
 * The one public header of the runtime. The runtime loads compiled models
 * (artifacts written by `dlc compile`) and runs them; it links no compiler
 * library. In IREE's style: opaque handles, explicit ownership
 * (`_open`/`_release`), results through `out_` parameters, and a status
 * return: NULL is success, anything else an error the caller frees with
 * dlrt_status_free after reading its message. Nothing crosses the API as
 * an exception.
 *
 * This first part opens and validates artifacts; sessions that run them
 * follow.
 *
 * Thread safety: a dlrt_artifact is immutable once opened and may be used
 * from any number of threads; releasing it must not race with its use.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DLRT_H
#define DLRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An error: NULL means success. */
typedef struct dlrt_status_t *dlrt_status;

/* The error's message (valid until the status is freed). */
const char *dlrt_status_message(dlrt_status status);
void dlrt_status_free(dlrt_status status);

/* A validated artifact. */
typedef struct dlrt_artifact_t dlrt_artifact;

/* Opens and validates the artifact file at `path` (header, size, checksum,
 * sections) before anything in it is trusted. */
dlrt_status dlrt_artifact_open_file(const char *path, dlrt_artifact **out_artifact);

/* The same from memory; the bytes are copied. */
dlrt_status dlrt_artifact_open_memory(const void *data, size_t size,
                                      dlrt_artifact **out_artifact);

void dlrt_artifact_release(dlrt_artifact *artifact);

uint32_t dlrt_artifact_format_version(const dlrt_artifact *artifact);
size_t dlrt_artifact_section_count(const dlrt_artifact *artifact);
/* Section `index`'s kind (see artifact/Format.h) and size in bytes. */
dlrt_status dlrt_artifact_section_info(const dlrt_artifact *artifact, size_t index,
                                       uint32_t *out_kind, uint64_t *out_size);

#ifdef __cplusplus
}
#endif

#endif /* DLRT_H */

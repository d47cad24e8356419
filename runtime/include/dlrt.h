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
 * Use: open an artifact, load its program, create a session, set the
 * inputs, run, read the outputs; run again with new inputs as often as
 * needed.
 *
 * Thread safety: a dlrt_artifact and a dlrt_program are immutable once
 * created and may be used from any number of threads (many sessions may
 * share one program). Sessions run in parallel, one per thread. Calls on
 * one session from several threads take turns (each holds the session
 * while it runs), so they never race; but a run reads the inputs set last
 * and an output stays valid only until the next run, so threads sharing a
 * session hold their own lock over set_input ... output. Releasing an
 * object must not race with its use.
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

/* Element types, in the order of the IR's dtypes. Bool is one byte. */
typedef enum dlrt_element_type {
  DLRT_F32 = 0, DLRT_F16, DLRT_BF16, DLRT_F64, DLRT_I8, DLRT_I16, DLRT_I32,
  DLRT_I64, DLRT_U8, DLRT_U16, DLRT_U32, DLRT_U64, DLRT_BOOL
} dlrt_element_type;

/* A loaded program: the artifact's host program, kernels and weights,
 * validated. It keeps what it needs; the artifact may be released. */
typedef struct dlrt_program_t dlrt_program;

dlrt_status dlrt_program_load(const dlrt_artifact *artifact, dlrt_program **out_program);
void dlrt_program_release(dlrt_program *program);

size_t dlrt_program_input_count(const dlrt_program *program);
size_t dlrt_program_output_count(const dlrt_program *program);
/* Input or output `index`: its name, element type and declared dims as text
 * ("8", "N", "?nz0"); *out_rank is -1 for a rank known only at run time.
 * The strings live as long as the program. */
dlrt_status dlrt_program_input_info(const dlrt_program *program, size_t index,
                                    const char **out_name, dlrt_element_type *out_type,
                                    int64_t *out_rank, const char *const **out_dims);
dlrt_status dlrt_program_output_info(const dlrt_program *program, size_t index,
                                     const char **out_name, dlrt_element_type *out_type,
                                     int64_t *out_rank, const char *const **out_dims);
/* The index of the input or output named `name`. The names and their order
 * are the model's interface, as its file gave them. */
dlrt_status dlrt_program_find_input(const dlrt_program *program, const char *name,
                                    size_t *out_index);
dlrt_status dlrt_program_find_output(const dlrt_program *program, const char *name,
                                     size_t *out_index);

/* Options of a session; zero-initialize, then set what you need. */
typedef struct dlrt_session_options {
  int32_t threads;           /* kernel threads; 0: every core */
  uint64_t max_buffer_bytes; /* per buffer; 0: 4 GiB */
} dlrt_session_options;

/* A session runs a program; it owns the buffers and the thread pool. */
typedef struct dlrt_session_t dlrt_session;

dlrt_status dlrt_session_create(const dlrt_program *program,
                                const dlrt_session_options *options /* may be NULL */,
                                dlrt_session **out_session);
void dlrt_session_release(dlrt_session *session);

/* Sets input `index` to the caller's buffer, without copying: `data` must
 * stay valid and unchanged until dlrt_session_run returns. `bytes` must
 * match the type and dims. Checked against the declaration by run. */
dlrt_status dlrt_session_set_input(dlrt_session *session, size_t index,
                                   dlrt_element_type type, const int64_t *dims,
                                   size_t rank, const void *data, size_t bytes);
/* Runs the program on the inputs set. Wrong input types, ranks or sizes,
 * dims that disagree on a symbol and sizes over the limit are errors. */
dlrt_status dlrt_session_run(dlrt_session *session);
/* Output `index` of the last successful run; valid until the next run or
 * the session's release. */
dlrt_status dlrt_session_output(const dlrt_session *session, size_t index,
                                dlrt_element_type *out_type, const int64_t **out_dims,
                                size_t *out_rank, const void **out_data,
                                size_t *out_bytes);
/* The most bytes of buffers the session's runs held at once. */
uint64_t dlrt_session_peak_bytes(const dlrt_session *session);

#ifdef __cplusplus
}
#endif

#endif /* DLRT_H */

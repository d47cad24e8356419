/*===- api_test.c - The C API, from C ------------------------------------===//
 *
 * dlrt.h compiles as C; a bad artifact is an error status with a message;
 * a valid one (argv[1]: tests/lit/tools/Inputs/two_inputs.dlir compiled,
 * relu(a + b) with a, b: f32[N,4]) opens, loads and runs in a session.
 *
 *===----------------------------------------------------------------------===*/

#include "dlrt.h"

#include <stdio.h>
#include <string.h>

static int expect(int condition, const char *what) {
  if (!condition)
    fprintf(stderr, "FAIL: %s\n", what);
  return condition ? 0 : 1;
}

/* Runs the program in argv[1] through the whole API. */
static int runProgram(const char *path) {
  int failures = 0;
  dlrt_artifact *artifact = NULL;
  dlrt_program *program = NULL;
  dlrt_session *session = NULL;
  dlrt_status status = dlrt_artifact_open_file(path, &artifact);
  failures += expect(status == NULL, dlrt_status_message(status));
  if (status)
    return failures;
  status = dlrt_program_load(artifact, &program);
  dlrt_artifact_release(artifact); /* the program keeps what it needs */
  failures += expect(status == NULL, dlrt_status_message(status));
  if (status)
    return failures;
  failures += expect(dlrt_program_input_count(program) == 2, "two inputs");
  failures += expect(dlrt_program_output_count(program) == 1, "one output");
  const char *name = NULL;
  dlrt_element_type type;
  int64_t rank = 0;
  const char *const *dims = NULL;
  status = dlrt_program_input_info(program, 1, &name, &type, &rank, &dims);
  failures += expect(status == NULL && strcmp(name, "b") == 0 && type == DLRT_F32 &&
                         rank == 2 && strcmp(dims[0], "N") == 0 && strcmp(dims[1], "4") == 0,
                     "input 1 is b: f32[N,4]");
  size_t index = 9;
  status = dlrt_program_find_input(program, "b", &index);
  failures += expect(status == NULL && index == 1, "finds b");
  status = dlrt_program_output_info(program, 0, &name, &type, &rank, &dims);
  failures += expect(status == NULL && strcmp(name, "r") == 0, "output 0 is r");
  status = dlrt_program_find_output(program, "r", &index);
  failures += expect(status == NULL && index == 0, "finds output r");
  status = dlrt_program_find_output(program, "b", &index);
  failures += expect(status != NULL && strstr(dlrt_status_message(status), "no output 'b'") != NULL,
                     "no output b");
  dlrt_status_free(status);

  dlrt_session_options options = {0};
  options.threads = 1;
  status = dlrt_session_create(program, &options, &session);
  failures += expect(status == NULL, dlrt_status_message(status));
  if (status) {
    dlrt_program_release(program);
    return failures;
  }
  float a[8] = {1, -2, 3, -4, 5, -6, 7, -8}, b[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  int64_t shape[2] = {2, 4};
  for (int round = 0; round < 2; ++round) { /* a session runs many times */
    b[0] = (float)round;
    failures += expect(dlrt_session_set_input(session, 0, DLRT_F32, shape, 2, a, sizeof a) == NULL, "set a");
    failures += expect(dlrt_session_set_input(session, 1, DLRT_F32, shape, 2, b, sizeof b) == NULL, "set b");
    status = dlrt_session_run(session);
    failures += expect(status == NULL, dlrt_status_message(status));
    const int64_t *out_dims = NULL;
    size_t out_rank = 0, bytes = 0;
    const void *data = NULL;
    status = dlrt_session_output(session, 0, &type, &out_dims, &out_rank, &data, &bytes);
    failures += expect(status == NULL && type == DLRT_F32 && out_rank == 2 && out_dims[0] == 2 &&
                           out_dims[1] == 4 && bytes == sizeof a,
                       "output f32[2,4]");
    if (status == NULL) {
      const float *y = (const float *)data;
      failures += expect(y[0] == 1 + b[0] && y[1] == 0 && y[2] == 4 && y[7] == 0,
                         "relu(a + b)");
    }
  }
  failures += expect(dlrt_session_peak_bytes(session) > 0, "peak bytes");

  /* Errors: two inputs that disagree on N, a size that does not match. */
  int64_t other[2] = {1, 4};
  failures += expect(dlrt_session_set_input(session, 1, DLRT_F32, other, 2, b, 16) == NULL, "set b [1,4]");
  status = dlrt_session_run(session);
  failures += expect(status != NULL &&
                         strstr(dlrt_status_message(status), "dim 0 is 1, expected 2") != NULL,
                     "N must agree");
  dlrt_status_free(status);
  status = dlrt_session_set_input(session, 0, DLRT_F32, shape, 2, a, 4);
  failures += expect(status != NULL, "bytes must match the dims");
  dlrt_status_free(status);
  status = dlrt_session_set_input(session, 5, DLRT_F32, shape, 2, a, sizeof a);
  failures += expect(status != NULL, "no input 5");
  dlrt_status_free(status);
  dlrt_session_release(session);
  dlrt_program_release(program);
  return failures;
}

int main(int argc, char **argv) {
  int failures = 0;
  dlrt_artifact *artifact = NULL;
  const char junk[] = "not an artifact at all, just text";
  dlrt_status status = dlrt_artifact_open_memory(junk, sizeof(junk), &artifact);
  failures += expect(status != NULL, "junk is rejected");
  failures += expect(artifact == NULL, "no artifact on failure");
  failures += expect(strcmp(dlrt_status_message(status), "not a dlc artifact (bad magic)") == 0,
                     "the message says why");
  dlrt_status_free(status);

  status = dlrt_artifact_open_file("/nonexistent/model.dlc", &artifact);
  failures += expect(status != NULL, "a missing file is an error");
  dlrt_status_free(status);

  status = dlrt_artifact_open_memory(NULL, 0, NULL);
  failures += expect(status != NULL, "null arguments are an error, not a crash");
  dlrt_status_free(status);
  if (argc > 1)
    failures += runProgram(argv[1]);
  printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures != 0;
}

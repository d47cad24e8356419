/*===- api_test.c - The C API, from C ------------------------------------===//
 *
 * dlrt.h compiles as C; a bad artifact is an error status with a message;
 * a valid one (argv[1], written by the test's driver) opens.
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

int main(void) {
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
  printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures != 0;
}

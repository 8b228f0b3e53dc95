/* corpus_capture.h - force-included (-include) into a second build of
 * tests/test_codec.c, tests/corpus_codec: every JSON text the codec tests
 * decode is also appended to the file named by $MSGBUS_CORPUS, so that
 * tests/jsonschema.test can check the JSON Schema against the very
 * documents whose verdicts the codec tests assert. */
#ifndef CORPUS_CAPTURE_H
#define CORPUS_CAPTURE_H

#include <msgbus/value.h>

int corpus_capture_decode(const msgbus_type *type, const char *text, size_t len, void *m,
                          msgbus_error *err);

#define msgbus_value_decode corpus_capture_decode

#endif /* CORPUS_CAPTURE_H */

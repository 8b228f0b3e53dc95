/* codec_verdict.c - the decoder's verdict on each document of a corpus
 * file (the format of tests/corpus_capture.c), for tests/jsonschema.test.
 *
 * Usage: codec_verdict CORPUS > VERDICTS
 * Prints one line per record: "accept", "reject CODE PATH: TEXT", or
 * "skip" for a type that schemas/alltypes.msg does not define. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.msg.h"

static const msgbus_type *find_type(const char *name)
{
    size_t i;

    for (i = 0; i < test_all_module.n_types; i++)
        if (strcmp(test_all_module.types[i]->name, name) == 0)
            return test_all_module.types[i];
    return NULL;
}

/* One line of the text, without spaces or newlines that would break ours. */
static void put_flat(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

int main(int argc, char **argv)
{
    FILE *in;
    char name[256];
    size_t len, count = 0;

    if (argc != 2 || (in = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: codec_verdict CORPUS\n");
        return 2;
    }
    while (fgets(name, sizeof name, in)) {
        const msgbus_type *type;
        char *text;
        void *m;
        msgbus_error err;
        int rc;

        name[strcspn(name, "\n")] = '\0';
        if (fscanf(in, "%zu", &len) != 1 || fgetc(in) != '\n') {
            fprintf(stderr, "codec_verdict: bad record %zu\n", count);
            return 2;
        }
        text = malloc(len + 1);
        if (!text || fread(text, 1, len, in) != len || fgetc(in) != '\n') {
            fprintf(stderr, "codec_verdict: short record %zu\n", count);
            return 2;
        }
        count++;
        type = find_type(name);
        if (!type) {
            puts("skip");
            free(text);
            continue;
        }
        m = malloc(type->size);
        rc = m ? msgbus_value_decode(type, text, len, m, &err) : MSGBUS_ENOMEM;
        if (rc == 0) {
            puts("accept");
            msgbus_value_clear(type, m);
        } else {
            printf("reject %d %s: ", rc, err.path);
            put_flat(err.text);
            putchar('\n');
        }
        free(m);
        free(text);
    }
    fclose(in);
    return 0;
}

/* emit_jsonschema.c - writes <schema>.msg.schema.json: a JSON Schema
 * 2020-12 document whose $defs hold every record, command, event and enum
 * of the file and of its imports under their full names, so that
 * {"$ref": "orders.msg.schema.json#/$defs/shop.orders.ProcessOrder"}
 * validates one message (msgbusgen(1), JSON SCHEMA). */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "emit_util.h"
#include "json_out.h"
#include "names.h"
#include "schema_json.h"

static void one_def(const decl *d, void *arg)
{
    json_out *j = arg;
    char *full = names_full_name(d->schema, d->name);

    json_key(j, full);
    sj_decl(j, "#/$defs/", d);
    free(full);
}

int emit_jsonschema(FILE *out, const program *prog, const schema *s)
{
    emitter e;
    json_out j;
    const char *file;

    em_start(&e, out, prog, s);
    file = em_file_base(&e, s);
    json_start(&j, out);
    json_object(&j);
    json_key_string(&j, "$schema", "https://json-schema.org/draft/2020-12/schema");
    json_key_string(&j, "$id", em_fmt(&e, "%s.schema.json", file));
    json_key_string(&j, "title", s->package ? s->package : file);
    json_key_string(&j, "$comment", em_fmt(&e, "written by msgbusgen from %s; DO NOT EDIT", file));
    json_key_string(&j, "description",
                    em_fmt(&e, "The JSON form of the messages of %s and of the files it imports. "
                               "Validate one message with {\"$ref\": \"%s.schema.json#/$defs/FULL.NAME\"}.",
                           file, file));
    json_key(&j, "$defs");
    json_object(&j);
    sj_each_type(prog, one_def, &j);
    json_end(&j);
    json_end(&j);
    json_finish(&j);
    return em_finish(&e);
}

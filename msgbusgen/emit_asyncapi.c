/* emit_asyncapi.c - writes <schema>.msg.asyncapi.json: an AsyncAPI 3.0.0
 * document (msgbusgen(1), ASYNCAPI).
 *
 * One channel per outbox route, whose address is the subject, with a send
 * operation; components.messages holds every command and event of the file
 * and its imports, whose payload is what the NATS relay publishes: the
 * CloudEvents 1.0 structured envelope of runtime/nats/cloudevent.c, with
 * `type` fixed to the full name and `data` the message's schema.
 * components.schemas holds every type, as in the JSON Schema document. */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "emit_util.h"
#include "json_out.h"
#include "names.h"
#include "schema_json.h"

#define SCHEMAS "#/components/schemas/"

static int is_command_or_event(const decl *d)
{
    return d->kind == DECL_COMMAND || d->kind == DECL_EVENT;
}

static void one_schema(const decl *d, void *arg)
{
    json_out *j = arg;
    char *full = names_full_name(d->schema, d->name);

    json_key(j, full);
    sj_decl(j, SCHEMAS, d);
    free(full);
}

/* {"const": text}: a property the envelope always has with this value. */
static void constant(json_out *j, const char *key, const char *text)
{
    json_key(j, key);
    json_object(j);
    json_key_string(j, "type", "string");
    json_key_string(j, "const", text);
    json_end(j);
}

static void string_property(json_out *j, const char *key, const char *description,
                            const char *format)
{
    json_key(j, key);
    json_object(j);
    json_key_string(j, "type", "string");
    if (format)
        json_key_string(j, "format", format);
    json_key_string(j, "description", description);
    json_end(j);
}

/* The CloudEvents envelope around message d, as cloudevent.c writes it. */
static void envelope(json_out *j, const decl *d, const char *full)
{
    static const char *const keys[] = {
        "specversion", "id", "source", "type", "time", "datacontenttype", "data"
    };
    size_t i;

    json_object(j);
    json_key_string(j, "type", "object");
    json_key_string(j, "description", "A CloudEvents 1.0 event in structured JSON mode");
    json_key(j, "properties");
    json_object(j);
    constant(j, "specversion", "1.0");
    string_property(j, "id", "The outbox row's id: unique per message", NULL);
    string_property(j, "source", "The relay's source (\"msgbus\" unless configured)", NULL);
    constant(j, "type", full);
    string_property(j, "time", "When the message was stored in the outbox (UTC)", "date-time");
    constant(j, "datacontenttype", "application/json");
    json_key(j, "data");
    sj_ref(j, SCHEMAS, d);
    json_end(j);
    json_key(j, "required");
    json_inline_array(j);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        json_string(j, keys[i]);
    json_end(j);
    json_end(j);
}

static void one_message(const decl *d, void *arg)
{
    json_out *j = arg;
    char *full;

    if (!is_command_or_event(d))
        return;
    full = names_full_name(d->schema, d->name);
    json_key(j, full);
    json_object(j);
    json_key_string(j, "name", full);
    json_key_string(j, "title", d->name);
    json_key_string(j, "summary", d->kind == DECL_COMMAND ? "A command" : "An event");
    if (d->doc)
        json_key_string(j, "description", d->doc);
    json_key_string(j, "contentType", "application/json");
    json_key(j, "payload");
    envelope(j, d, full);
    json_end(j);
    free(full);
}

/* Channels and operations: one each per outbox route of the file. */
static void routes(json_out *j, emitter *e, const schema *s, int operations)
{
    size_t i;

    json_key(j, operations ? "operations" : "channels");
    json_object(j);
    for (i = 0; i < s->n_decls; i++) {
        const decl *d = s->decls[i];
        const decl *m = d->route_type.resolved;
        const char *full;
        if (d->kind != DECL_OUTBOX || m == NULL || d->subject == NULL)
            continue;
        full = em_full_name(e, m);
        json_key(j, operations ? em_fmt(e, "send.%s", full) : full);
        json_object(j);
        if (operations) {
            json_key_string(j, "action", "send");
            json_key_string(j, "summary",
                            em_fmt(e, "The outbox relay publishes %s to %s", full, d->subject));
            json_key(j, "channel");
            json_object(j);
            json_key_string(j, "$ref", em_fmt(e, "#/channels/%s", full));
            json_end(j);
            json_key(j, "messages");
            json_array(j);
            json_object(j);
            json_key_string(j, "$ref", em_fmt(e, "#/channels/%s/messages/%s", full, full));
            json_end(j);
            json_end(j);
        } else {
            json_key_string(j, "address", d->subject);
            json_key_string(j, "description",
                            em_fmt(e, "The outbox route of %s; a relay configured with a "
                                      "subject prefix publishes to PREFIX.%s",
                                   full, d->subject));
            json_key(j, "messages");
            json_object(j);
            json_key(j, full);
            json_object(j);
            json_key_string(j, "$ref", em_fmt(e, "#/components/messages/%s", full));
            json_end(j);
            json_end(j);
        }
        json_end(j);
    }
    json_end(j);
}

int emit_asyncapi(FILE *out, const program *prog, const schema *s, const char *api_version)
{
    emitter e;
    json_out j;
    const char *file;

    em_start(&e, out, prog, s);
    file = em_file_base(&e, s);
    json_start(&j, out);
    json_object(&j);
    json_key_string(&j, "asyncapi", "3.0.0");
    json_key(&j, "info");
    json_object(&j);
    json_key_string(&j, "title", s->package ? s->package : file);
    json_key_string(&j, "version", api_version ? api_version : "1.0.0");
    json_key_string(&j, "description",
                    em_fmt(&e, "The messages of %s and of the files it imports, as the msgbus "
                               "outbox relay publishes them to NATS (written by msgbusgen; "
                               "DO NOT EDIT).", file));
    json_end(&j);
    json_key_string(&j, "defaultContentType", "application/json");
    routes(&j, &e, s, 0);
    routes(&j, &e, s, 1);
    json_key(&j, "components");
    json_object(&j);
    json_key(&j, "messages");
    json_object(&j);
    sj_each_type(prog, one_message, &j);
    json_end(&j);
    json_key(&j, "schemas");
    json_object(&j);
    sj_each_type(prog, one_schema, &j);
    json_end(&j);
    json_end(&j);
    json_end(&j);
    json_finish(&j);
    return em_finish(&e);
}

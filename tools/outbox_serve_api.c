/* outbox_serve_api.c - the JSON API under /api/ that the console's pages
 * use (msgbus-outbox(1), THE JSON API).  Reads and actions go through the
 * same library functions as the CLI; every parameter is checked before it
 * reaches them, and every text from the database leaves as a JSON string
 * (valid UTF-8, escaped), never as markup. */
#define _POSIX_C_SOURCE 200809L
#include "outbox_serve_internal.h"
#include "outbox_tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies --------------------------------------------------------- */

void serve_reply_json(serve_reply *r, unsigned status, json_t *json)
{
    r->status = status;
    r->type = "application/json";
    r->body = json ? json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(json);
    if (!r->body) {
        r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        r->body = strdup("{\"error\":\"out of memory\"}");
    }
    r->len = r->body ? strlen(r->body) : 0;
}

void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    json_object_set_new(o, "error", outbox_text_json(text));
    serve_reply_json(r, status, o);
    r->status = status;
}

/* The HTTP status of a library error. */
static unsigned status_of(int rc)
{
    return rc == MSGBUS_ENOTFOUND ? MHD_HTTP_NOT_FOUND
         : rc == MSGBUS_EINVAL ? MHD_HTTP_BAD_REQUEST
         : rc == MSGBUS_EIO ? MHD_HTTP_SERVICE_UNAVAILABLE
         : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/* ---- parameters ------------------------------------------------------ */

typedef struct params {
    const char *const *allowed;
    const char *bad;            /* an unknown or oversized one */
} params;

static enum MHD_Result check_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    params *p = cls;
    (void)kind;
    bool known = false;
    for (size_t i = 0; p->allowed[i] && !known; i++)
        known = strcmp(key, p->allowed[i]) == 0;
    if (!known || (value && strlen(value) > SERVE_PARAM_MAX)) {
        p->bad = key;
        return MHD_NO;
    }
    return MHD_YES;
}

/* 0, or 400 in r naming the parameter that is not one of allowed (NULL
 * terminated) or is too long. */
static int only_params(struct MHD_Connection *c, const char *const *allowed, serve_reply *r)
{
    params p = { allowed, NULL };
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_param, &p);
    if (p.bad) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "unknown or too long parameter: %.64s", p.bad);
        return -1;
    }
    return 0;
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* A row id: 1 to 64 printable ASCII characters without spaces. */
static bool id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (id[n] < 0x21 || id[n] > 0x7e)
            return false;
    return n > 0 && n < MSGBUS_OUTBOX_ID_SIZE;
}

/* A full type name: letters, digits, '_' and '.'. */
static bool type_valid(const char *type)
{
    size_t n = strlen(type);
    return n > 0 && n <= SERVE_PARAM_MAX &&
           strspn(type, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

static bool no_controls(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static int parse_size(const char *text, size_t max, size_t *out)
{
    char *end;
    if (!text)
        return 0;
    if (text[0] < '0' || text[0] > '9' || strlen(text) > 9)
        return -1;
    unsigned long n = strtoul(text, &end, 10);
    if (*end || n > max)
        return -1;
    *out = n;
    return 0;
}

static const char *const state_names[] = { "pending", "failed", "dead", "processed" };

/* Fills f from state, type, error (and limit, offset when paged). */
static int read_filter(struct MHD_Connection *c, bool paged, msgbus_outbox_filter *f,
                       serve_reply *r)
{
    msgbus_outbox_filter_init(f);
    const char *state = arg(c, "state"), *type = arg(c, "type"), *error = arg(c, "error");
    f->state = MSGBUS_OUTBOX_DEAD;
    if (state) {
        size_t i = 0;
        while (i < 4 && strcmp(state, state_names[i]) != 0)
            i++;
        if (i == 4) {
            serve_reply_error(r, MHD_HTTP_BAD_REQUEST,
                              "state must be pending, failed, dead or processed");
            return -1;
        }
        f->state = (msgbus_outbox_state)i;
    }
    if (type && !type_valid(type)) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "type must be a full type name (letters, digits, '_', '.')");
        return -1;
    }
    if (error && !no_controls(error)) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "error must be text without control characters");
        return -1;
    }
    f->type = type;
    f->error_contains = error;
    if (paged) {
        f->limit = 50;
        if (parse_size(arg(c, "limit"), SERVE_PAGE_MAX, &f->limit) < 0 || f->limit == 0) {
            serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "limit must be 1 to %d", SERVE_PAGE_MAX);
            return -1;
        }
        if (parse_size(arg(c, "offset"), 100000000, &f->offset) < 0) {
            serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "offset must be 0 to 100000000");
            return -1;
        }
    }
    return 0;
}

static int read_id(struct MHD_Connection *c, const char **id, serve_reply *r)
{
    *id = arg(c, "id");
    if (!*id || !id_valid(*id)) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST,
                          "id must be 1 to %d printable ASCII characters without spaces",
                          MSGBUS_OUTBOX_ID_SIZE - 1);
        return -1;
    }
    return 0;
}

static int read_dry_run(struct MHD_Connection *c, bool *dry, serve_reply *r)
{
    const char *v = arg(c, "dry_run");
    *dry = v && strcmp(v, "1") == 0;
    if (v && !*dry && strcmp(v, "0") != 0) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "dry_run must be 0 or 1");
        return -1;
    }
    return 0;
}

/* ---- rows as JSON ---------------------------------------------------- */

static json_t *time_json(int64_t ms)
{
    char text[MSGBUS_TIMESTAMP_TEXT_SIZE];
    return ms ? json_string(outbox_time_text(ms, text)) : json_null();
}

/* The first line of an error, at most 200 bytes (cut at a character). */
static json_t *first_line(const char *error)
{
    if (!error)
        return json_null();
    size_t n = strcspn(error, "\r\n");
    if (n > 200) {
        n = 200;
        while (n > 0 && ((unsigned char)error[n] & 0xC0) == 0x80)
            n--;
    }
    char *line = strndup(error, n);
    json_t *j = line ? outbox_text_json(line) : NULL;
    free(line);
    return j;
}

static json_t *row_summary(const msgbus_outbox_row *row, int64_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", outbox_text_json(row->id));
    json_object_set_new(o, "kind", json_string(outbox_kind_name(row->kind)));
    json_object_set_new(o, "type", outbox_text_json(row->type));
    json_object_set_new(o, "state", json_string(outbox_state_name(row)));
    json_object_set_new(o, "attempts", json_integer(row->attempts));
    json_object_set_new(o, "error", first_line(row->last_error));
    json_object_set_new(o, "age_ms", json_integer(now - row->created_at));
    json_object_set_new(o, "created_at", time_json(row->created_at));
    return o;
}

/* What `msgbus-outbox show --json` prints, with the age and traceparent. */
static json_t *row_detail(const msgbus_outbox_row *row, int64_t now)
{
    json_t *o = outbox_row_json(row);
    if (!o)
        return NULL;
    json_t *meta = row->meta ? json_loads(row->meta, 0, NULL) : NULL;
    outbox_trace tr;
    outbox_trace_of(meta, &tr);
    json_object_set_new(o, "traceparent", outbox_text_json(tr.traceparent));
    json_decref(meta);
    json_object_set_new(o, "age_ms", json_integer(now - row->created_at));
    return o;
}

/* ---- endpoints ------------------------------------------------------- */

static json_t *rate_json(double v)
{
    return v < 0 ? json_null() : json_real((double)(long long)(v * 10.0 + 0.5) / 10.0);
}

static void get_overview(serve_ctx *ctx, serve_reply *r)
{
    serve_health h;
    serve_store_health(&ctx->store, 1000, &h);
    json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I}", "pending", (json_int_t)h.counts.pending,
                               "in_flight", (json_int_t)h.counts.in_flight,
                               "failed", (json_int_t)h.counts.failed,
                               "dead", (json_int_t)h.counts.dead,
                               "processed", (json_int_t)h.counts.processed);
    json_t *o = json_object();
    json_object_set_new(o, "database", json_pack("{s:b, s:s, s:o}", "ok", h.ok, "name",
                                                 ctx->store.name, "error",
                                                 h.ok ? json_null() : outbox_text_json(h.error)));
    json_object_set_new(o, "sampled_at", time_json(h.sampled_at));
    json_object_set_new(o, "counts", counts);
    json_object_set_new(o, "oldest_pending_age_ms", h.ok && h.counts.oldest_pending_age_ms >= 0
                                                        ? json_integer(h.counts.oldest_pending_age_ms) : json_null());
    json_object_set_new(o, "oldest_due_age_ms", h.ok && h.counts.oldest_due_age_ms >= 0
                                                    ? json_integer(h.counts.oldest_due_age_ms) : json_null());
    json_object_set_new(o, "processed_per_minute", h.ok ? rate_json(h.processed_per_minute) : json_null());
    json_object_set_new(o, "failures_per_minute", h.ok ? rate_json(h.failures_per_minute) : json_null());
    json_object_set_new(o, "read_only", json_boolean(ctx->opt.read_only));
    serve_reply_json(r, h.ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o);
}

/* Runs fn on a pooled connection; a database failure is 503. */
#define WITH_CONN(ctx, r, conn, err, body)                                          \
    do {                                                                            \
        serve_conn *conn = serve_store_acquire(&(ctx)->store, &(err));              \
        if (!conn) {                                                                \
            serve_reply_error((r), MHD_HTTP_SERVICE_UNAVAILABLE, "database unreachable: %s", \
                              (err).text);                                          \
            return;                                                                 \
        }                                                                           \
        int rc_ = (body);                                                           \
        serve_store_release(&(ctx)->store, conn, rc_ == MSGBUS_EIO);                \
        if (rc_ < 0) {                                                              \
            serve_reply_error((r), status_of(rc_), "%s", (err).text);               \
            return;                                                                 \
        }                                                                           \
    } while (0)

static void get_rows(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { "state", "type", "error", "limit", "offset", NULL };
    msgbus_outbox_filter f;
    if (only_params(c, allowed, r) < 0 || read_filter(c, true, &f, r) < 0)
        return;
    size_t page = f.limit;
    f.limit = page + 1;         /* one more says whether there is a next page */
    msgbus_outbox_row *rows = NULL;
    size_t n = 0;
    msgbus_error err;
    WITH_CONN(ctx, r, conn, err, msgbus_outbox_list_filtered(conn->repo, &f, &rows, &n, &err));
    int64_t now = serve_now();
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < page; i++)
        json_array_append_new(list, row_summary(&rows[i], now));
    json_t *o = json_pack("{s:s, s:o, s:I, s:I, s:b}", "state", state_names[f.state], "rows", list,
                          "limit", (json_int_t)page, "offset", (json_int_t)f.offset, "more",
                          n > page);
    msgbus_outbox_rows_free(rows, n);
    serve_reply_json(r, MHD_HTTP_OK, o);
}

static void get_row(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { "id", NULL };
    const char *id;
    if (only_params(c, allowed, r) < 0 || read_id(c, &id, r) < 0)
        return;
    msgbus_outbox_row row;
    msgbus_error err;
    memset(&row, 0, sizeof row);
    WITH_CONN(ctx, r, conn, err, msgbus_outbox_get(conn->repo, id, &row, &err));
    serve_reply_json(r, MHD_HTTP_OK, row_detail(&row, serve_now()));
    msgbus_outbox_row_clear(&row);
}

/* Retries or purges one row, in the state it is in now: the filter's
 * state makes the change conditional in SQL, so of two concurrent
 * requests for the same row one changes it and the other finds it gone
 * from that state (409). */
static int act_on_row(serve_conn *conn, const char *id, bool purge, size_t *n, int *status,
                      msgbus_error *err)
{
    msgbus_outbox_row row;
    memset(&row, 0, sizeof row);
    int rc = msgbus_outbox_get(conn->repo, id, &row, err);
    if (rc < 0)
        return rc;
    msgbus_outbox_filter f;
    msgbus_outbox_filter_init(&f);
    f.id = id;
    f.state = row.processed_at ? MSGBUS_OUTBOX_PROCESSED : row.dead_at ? MSGBUS_OUTBOX_DEAD
            : row.attempts > 0 ? MSGBUS_OUTBOX_FAILED : MSGBUS_OUTBOX_PENDING;
    const char *state = outbox_state_name(&row);
    msgbus_outbox_row_clear(&row);
    *status = MHD_HTTP_OK;
    if (purge ? (f.state != MSGBUS_OUTBOX_DEAD && f.state != MSGBUS_OUTBOX_PROCESSED)
              : (f.state != MSGBUS_OUTBOX_DEAD && f.state != MSGBUS_OUTBOX_FAILED)) {
        *status = MHD_HTTP_CONFLICT;
        *n = 0;
        msgbus_error_set(err, 0, NULL, "row %s is %s: only %s rows can be %s", id, state,
                         purge ? "dead or processed" : "dead or failed", purge ? "purged" : "retried");
        return 0;
    }
    rc = purge ? msgbus_outbox_purge_filtered(conn->repo, &f, false, n, err)
               : msgbus_outbox_retry_filtered(conn->repo, &f, false, n, err);
    if (rc == 0 && *n == 0) {
        *status = MHD_HTTP_CONFLICT;
        msgbus_error_set(err, 0, NULL, "row %s changed meanwhile (another request %s it, or a"
                         " relay holds it)", id, purge ? "purged" : "retried");
    }
    return rc;
}

static void post_row(serve_ctx *ctx, struct MHD_Connection *c, bool purge, serve_reply *r)
{
    static const char *const allowed[] = { "id", NULL };
    const char *id;
    if (only_params(c, allowed, r) < 0 || read_id(c, &id, r) < 0)
        return;
    size_t n = 0;
    int status = MHD_HTTP_OK;
    msgbus_error err;
    WITH_CONN(ctx, r, conn, err, act_on_row(conn, id, purge, &n, &status, &err));
    if (status != MHD_HTTP_OK) {
        serve_reply_error(r, (unsigned)status, "%s", err.text);
        return;
    }
    serve_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:I}", "id", id,
                                               purge ? "purged" : "retried", (json_int_t)n));
}

/* In batches, as the CLI purges, so that no one transaction holds its locks
 * long: each batch takes its rows out of the filter's state. */
static int act_on_rows(serve_conn *conn, msgbus_outbox_filter *f, bool purge, bool dry, size_t *n,
                       msgbus_error *err)
{
    enum { BATCH = 1000 };
    size_t done;
    int rc;
    *n = 0;
    f->limit = dry ? 0 : BATCH;
    do {
        rc = purge ? msgbus_outbox_purge_filtered(conn->repo, f, dry, &done, err)
                   : msgbus_outbox_retry_filtered(conn->repo, f, dry, &done, err);
        if (rc == 0)
            *n += done;
    } while (rc == 0 && !dry && done == BATCH);
    return rc;
}

static void post_rows(serve_ctx *ctx, struct MHD_Connection *c, bool purge, serve_reply *r)
{
    static const char *const allowed[] = { "state", "type", "error", "dry_run", NULL };
    msgbus_outbox_filter f;
    bool dry;
    if (only_params(c, allowed, r) < 0 || read_filter(c, false, &f, r) < 0 ||
        read_dry_run(c, &dry, r) < 0)
        return;
    if (purge ? (f.state != MSGBUS_OUTBOX_DEAD && f.state != MSGBUS_OUTBOX_PROCESSED)
              : (f.state != MSGBUS_OUTBOX_DEAD && f.state != MSGBUS_OUTBOX_FAILED)) {
        serve_reply_error(r, MHD_HTTP_BAD_REQUEST, "only %s rows can be %s",
                          purge ? "dead or processed" : "dead or failed",
                          purge ? "purged" : "retried");
        return;
    }
    size_t n = 0;
    msgbus_error err;
    WITH_CONN(ctx, r, conn, err, act_on_rows(conn, &f, purge, dry, &n, &err));
    serve_reply_json(r, MHD_HTTP_OK, json_pack("{s:s, s:I}", "state", state_names[f.state],
                                               dry ? "matching" : purge ? "purged" : "retried",
                                               (json_int_t)n));
}

static void get_flow(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { NULL };
    if (only_params(c, allowed, r) < 0)
        return;
    json_t *failing = NULL;
    msgbus_error err;
    WITH_CONN(ctx, r, conn, err, serve_sql_failing_types(conn, ctx->opt.table, &failing, &err));
    char why[600];
    char *svg = NULL;
    size_t len;
    bool ok = serve_flow_svg(ctx->flow, &svg, &len, why, sizeof why) == 0;
    free(svg);
    serve_reply_json(r, MHD_HTTP_OK,
                     json_pack("{s:b, s:o, s:o}", "available", ok, "reason",
                               ok ? json_null() : outbox_text_json(why), "failing", failing));
}

static void get_flow_svg(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { NULL };
    if (only_params(c, allowed, r) < 0)
        return;
    char why[600];
    char *svg;
    size_t len;
    if (serve_flow_svg(ctx->flow, &svg, &len, why, sizeof why) < 0) {
        serve_reply_error(r, MHD_HTTP_NOT_FOUND, "no flow picture: %s", why);
        return;
    }
    r->status = MHD_HTTP_OK;
    r->type = "image/svg+xml";
    r->body = svg;
    r->len = len;
}

static void get_session(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { NULL };
    if (only_params(c, allowed, r) < 0)
        return;
    char csrf[80];
    if (serve_auth_new_session(ctx->auth, c, r->cookie, sizeof r->cookie, csrf, sizeof csrf) < 0) {
        serve_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no randomness for a session");
        return;
    }
    serve_reply_json(r, MHD_HTTP_OK,
                     json_pack("{s:s, s:b, s:b, s:s}", "csrf_token", csrf, "read_only",
                               ctx->opt.read_only, "flow", ctx->opt.schema != NULL, "database",
                               ctx->store.name));
}

/* ---- routing --------------------------------------------------------- */

typedef struct route {
    const char *path;
    const char *method;         /* the one method it answers */
    void (*get)(serve_ctx *, struct MHD_Connection *, serve_reply *);
    int post;                   /* 1 retry row, 2 purge row, 3 retry rows, 4 purge rows */
} route;

static void get_overview_route(serve_ctx *ctx, struct MHD_Connection *c, serve_reply *r)
{
    static const char *const allowed[] = { NULL };
    if (only_params(c, allowed, r) == 0)
        get_overview(ctx, r);
}

static const route routes[] = {
    { "/api/session", "GET", get_session, 0 },
    { "/api/overview", "GET", get_overview_route, 0 },
    { "/api/rows", "GET", get_rows, 0 },
    { "/api/row", "GET", get_row, 0 },
    { "/api/flow", "GET", get_flow, 0 },
    { "/api/flow.svg", "GET", get_flow_svg, 0 },
    { "/api/row/retry", "POST", NULL, 1 },
    { "/api/row/purge", "POST", NULL, 2 },
    { "/api/rows/retry", "POST", NULL, 3 },
    { "/api/rows/purge", "POST", NULL, 4 },
};

void serve_api(serve_ctx *ctx, struct MHD_Connection *c, const char *method, const char *url,
               serve_reply *r)
{
    const route *rt = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rt; i++)
        if (strcmp(url, routes[i].path) == 0)
            rt = &routes[i];
    if (!rt) {
        serve_reply_error(r, MHD_HTTP_NOT_FOUND, "no such API endpoint");
        return;
    }
    bool head = strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0;
    if (strcmp(method, rt->method) != 0 && !head) {
        serve_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s takes %s only", rt->path, rt->method);
        r->allow = strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : "POST";
        return;
    }
    if (rt->get) {
        rt->get(ctx, c, r);
        return;
    }
    const char *why;
    int status = serve_auth_check_csrf(ctx->auth, c, &why);
    if (status) {
        serve_reply_error(r, (unsigned)status, "%s", why);
        return;
    }
    if (ctx->opt.read_only) {
        serve_reply_error(r, MHD_HTTP_FORBIDDEN, "this console is read-only (--read-only)");
        return;
    }
    if (rt->post <= 2)
        post_row(ctx, c, rt->post == 2, r);
    else
        post_rows(ctx, c, rt->post == 4, r);
    serve_store_invalidate(&ctx->store);     /* the overview shows the change */
}

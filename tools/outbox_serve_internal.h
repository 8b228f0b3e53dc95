/* outbox_serve_internal.h - the parts of the web console of
 * `msgbus-outbox serve`: connections (store), the console's own read-only
 * queries (sql), security (auth), the JSON API (api), the flow picture
 * (flow), the embedded pages (assets).  See msgbus-outbox(1). */
#ifndef OUTBOX_SERVE_INTERNAL_H
#define OUTBOX_SERVE_INTERNAL_H

#include <config.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <microhttpd.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#if HAVE_PQ
#include <msgbus/pg.h>
#else
typedef struct pg_conn PGconn;  /* never opened: built without PostgreSQL */
#endif

/* HTTP threads, and database connections: one each, one for the sampler. */
#define SERVE_THREADS 4
#define SERVE_POOL_SIZE (SERVE_THREADS + 1)
/* Longest accepted query parameter value (a type or an error text). */
#define SERVE_PARAM_MAX 256
/* Largest accepted request body: the API takes none, the login form one line. */
#define SERVE_BODY_MAX 4096
/* Most rows one page of the API returns. */
#define SERVE_PAGE_MAX 500

typedef struct serve_options {
    const char *db;             /* SQLite file, or NULL */
    const char *conninfo;       /* PostgreSQL conninfo, or NULL */
    const char *table;          /* NULL: the default */
    const char *listen;         /* HOST:PORT */
    const char *schema;         /* .msg file for the flow, or NULL */
    const char *msgbusgen;      /* NULL: beside this program, then PATH */
    const char *token_file;
    bool read_only;
} serve_options;

/* ---- store: pooled connections (outbox_serve_store.c) ---- */

typedef struct serve_conn {
    sqlite3 *db;
    PGconn *pg;
    msgbus_outbox_repo *repo;
    bool busy;
} serve_conn;

/* What the overview shows; refreshed by a sampler thread and on demand. */
typedef struct serve_health {
    bool ok;                    /* the last query succeeded */
    char error[512];            /* why not */
    int64_t sampled_at;         /* ms since the epoch */
    msgbus_outbox_counts counts;
    double processed_per_minute;    /* < 0: not known yet */
    double failures_per_minute;
} serve_health;

#define SERVE_SAMPLES 32

typedef struct serve_store {
    const serve_options *opt;
    char name[160];             /* the database as messages name it */
    pthread_mutex_t lock;
    pthread_cond_t freed;
    serve_conn conns[SERVE_POOL_SIZE];
    /* health, guarded by health_lock; refresh_lock lets one caller refresh */
    pthread_mutex_t health_lock, refresh_lock;
    serve_health health;
    unsigned long changes;      /* serve_store_invalidate calls so far */
    struct { int64_t at; long long attempts; } samples[SERVE_SAMPLES];
    size_t n_samples;
    /* the sampler thread */
    pthread_t sampler;
    bool sampler_started, stopping;
    pthread_cond_t stop;
} serve_store;

/* Opens one connection to check the database (errors say why), and
 * starts the sampler.  Returns 0 or -1 with msg filled. */
int serve_store_open(serve_store *s, const serve_options *opt, char *msg, size_t size);
void serve_store_close(serve_store *s);
/* A connection for this thread, reconnecting a broken one; NULL and err
 * filled when the database cannot be reached.  Give it back with
 * serve_store_release; broken = the database failed (close it). */
serve_conn *serve_store_acquire(serve_store *s, msgbus_error *err);
void serve_store_release(serve_store *s, serve_conn *c, bool broken);
/* After a change: the next health asked for is sampled afresh. */
void serve_store_invalidate(serve_store *s);
/* Copies the health, first refreshing it if older than max_age_ms. */
void serve_store_health(serve_store *s, int64_t max_age_ms, serve_health *out);

/* ---- the console's own read-only queries (outbox_serve_sql.c) ---- */

typedef struct serve_metrics {
    long long attempts;             /* sum of attempts over all rows */
    long long processed_last_minute;
} serve_metrics;

int serve_sql_metrics(serve_conn *c, const char *table, int64_t now, serve_metrics *out,
                      msgbus_error *err);
/* *out: [{"type", "dead", "failed"}] for types with failing rows. */
int serve_sql_failing_types(serve_conn *c, const char *table, json_t **out, msgbus_error *err);

/* ---- security (outbox_serve_auth.c) ---- */

typedef struct serve_auth serve_auth;

/* NULL token: loopback, no token; Host headers must then name a
 * loopback address at port (against DNS rebinding). */
serve_auth *serve_auth_new(const char *token, unsigned port);
void serve_auth_free(serve_auth *a);
/* The port Host headers must name, once the listening socket has one. */
void serve_auth_set_port(serve_auth *a, unsigned port);
/* 0 when the request may go on; otherwise an HTTP status (401, 403) and
 * *why a text. */
int serve_auth_check(serve_auth *a, struct MHD_Connection *c, const char *method,
                     const char *url, const char **why);
/* For POST: the session's CSRF token in X-CSRF-Token and a same-origin
 * Origin (if any).  0 or 403 with *why. */
int serve_auth_check_csrf(serve_auth *a, struct MHD_Connection *c, const char **why);
/* A new session (GET /api/session): its cookie goes in cookie (a
 * Set-Cookie value), its CSRF token in csrf.  0 or -1 (no entropy). */
int serve_auth_new_session(serve_auth *a, struct MHD_Connection *c, char *cookie,
                           size_t cookie_size, char *csrf, size_t csrf_size);
/* Checks the token given to the login form; on success fills cookie
 * with a Set-Cookie value carrying it.  0 or 401. */
int serve_auth_login(serve_auth *a, const char *token, char *cookie, size_t cookie_size);
/* A token file's token is 16 to 256 of [A-Za-z0-9._~+/=-]: safe in a
 * header and a cookie. */
bool serve_token_valid(const char *token);
bool serve_auth_token_required(const serve_auth *a);
/* Constant-time comparison of two strings. */
bool serve_secret_equal(const char *a, const char *b);

/* ---- the JSON API (outbox_serve_api.c) ---- */

typedef struct serve_ctx {
    serve_options opt;
    serve_store store;
    serve_auth *auth;
    struct serve_flow *flow;
} serve_ctx;

/* A response: status, content type, body (malloc'd, owned). */
typedef struct serve_reply {
    unsigned status;
    const char *type;
    char *body;
    size_t len;
    const char *allow;          /* Allow header of a 405 */
    char cookie[400];           /* Set-Cookie, or "" */
} serve_reply;

/* Handles /api/...; fills r. */
void serve_api(serve_ctx *ctx, struct MHD_Connection *c, const char *method, const char *url,
               serve_reply *r);
/* r gets {"error": text} with status. */
void serve_reply_error(serve_reply *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void serve_reply_json(serve_reply *r, unsigned status, json_t *json);

/* ---- the flow picture (outbox_serve_flow.c) ---- */

typedef struct serve_flow serve_flow;
/* schema may be NULL (no flow); msgbusgen NULL: beside this program, then
 * PATH.  NULL when out of memory. */
serve_flow *serve_flow_new(const char *schema, const char *msgbusgen);
void serve_flow_free(serve_flow *f);
/* 0 and the SVG (a malloc'd copy) in *svg, or -1 and why saying what is
 * missing or what failed. */
int serve_flow_svg(serve_flow *f, char **svg, size_t *len, char *why, size_t why_size);

/* ---- embedded pages (console_assets.c, generated) ---- */

typedef struct serve_asset {
    const char *path;           /* "/console.js" */
    const char *type;           /* content type */
    const unsigned char *data;
    size_t size;
} serve_asset;

extern const serve_asset serve_assets[];
extern const size_t serve_n_assets;

/* ---- small helpers (outbox_serve.c) ---- */

int64_t serve_now(void);

#endif /* OUTBOX_SERVE_INTERNAL_H */

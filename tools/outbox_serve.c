/* outbox_serve.c - `msgbus-outbox serve`: options, the HTTP server
 * (libmicrohttpd does all the HTTP), and the order every request goes
 * through: size limits, authentication, then the API or a page.  See
 * msgbus-outbox(1), THE WEB CONSOLE and SECURITY. */
#define _GNU_SOURCE
#include "outbox_serve.h"
#include "outbox_serve_internal.h"
#include "outbox_tool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static const char *prog_name = "msgbus-outbox";

int64_t serve_now(void)
{
    return msgbus_outbox_now();
}

/* ---- options ---------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: %s serve --db FILE | --pg CONNINFO [--table NAME]\n"
            "         [--listen HOST:PORT] [--schema FILE.msg] [--msgbusgen PATH]\n"
            "         [--token-file FILE] [--read-only]\n"
            "HOST:PORT defaults to 127.0.0.1:8080 (port 0: any free port); an address\n"
            "that is not loopback needs --token-file.\n",
            prog_name);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: serve: ", prog_name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s serve --help'.\n", prog_name);
    return 2;
}

typedef struct listen_addr {
    struct sockaddr_storage sa;
    bool v6;
    bool loopback;
    unsigned port;
    char host[64];
} listen_addr;

/* "127.0.0.1:8080", "[::1]:8080", "localhost:8080", "0.0.0.0:80". */
static int parse_listen(const char *text, listen_addr *out)
{
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof out->host)
        return -1;
    memcpy(out->host, text, (size_t)(colon - text));
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || colon[1] < '0' || colon[1] > '9' || port > 65535)
        return -1;
    out->port = (unsigned)port;
    char host[64];
    snprintf(host, sizeof host, "%s", strcmp(out->host, "localhost") == 0 ? "127.0.0.1" : out->host);
    size_t n = strlen(host);
    if (host[0] == '[' && host[n - 1] == ']') {
        host[n - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->sa;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        out->v6 = true;
        out->loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)&out->sa;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return -1;
    out->loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

/* The token: the file's first line. */
static char *read_token(const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "%s: serve: %s: %s\n", prog_name, path, strerror(errno));
        return NULL;
    }
    char line[300];
    if (!fgets(line, sizeof line, in))
        line[0] = '\0';
    fclose(in);
    line[strcspn(line, "\r\n")] = '\0';
    if (!serve_token_valid(line)) {
        fprintf(stderr, "%s: serve: %s: the token must be 16 to 256 characters among"
                        " A-Z a-z 0-9 . _ ~ + / = -\n", prog_name, path);
        explicit_bzero(line, sizeof line);
        return NULL;
    }
    char *token = strdup(line);
    explicit_bzero(line, sizeof line);
    return token;
}

/* ---- requests ---------------------------------------------------------- */

typedef struct request {
    size_t body;                /* bytes received */
    struct MHD_PostProcessor *pp;
    char token[300];            /* the login form's field */
} request;

static const char login_form[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>msgbus console: sign in</title></head><body>"
    "<h1>msgbus console</h1><p>This console needs its token (the content of --token-file).</p>"
    "<form method=\"post\" action=\"/login\"><label>Token <input type=\"password\" name=\"token\""
    " autocomplete=\"current-password\" required></label> <button>Sign in</button></form>"
    "</body></html>\n";

/* Sends r (MHD leaves the body out for HEAD). */
static enum MHD_Result send_reply(struct MHD_Connection *c, serve_reply *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body,
                                                                MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type ? r->type : "text/plain");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* No inline script or style anywhere: injected markup could not run. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'"
                            "; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"
                            "; base-uri 'none'");
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->cookie[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
    if (r->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"msgbus\"");
    if (r->status == MHD_HTTP_SEE_OTHER)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/");
    enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void reply_text(serve_reply *r, unsigned status, const char *type, const char *text)
{
    r->status = status;
    r->type = type;
    r->body = strdup(text);
    r->len = r->body ? strlen(r->body) : 0;
}

static void serve_page(struct MHD_Connection *c, const char *method, const char *url,
                       serve_reply *r)
{
    (void)c;
    const char *path = strcmp(url, "/") == 0 ? "/index.html" : url;
    const serve_asset *a = NULL;
    for (size_t i = 0; i < serve_n_assets && !a; i++)
        if (strcmp(path, serve_assets[i].path) == 0)
            a = &serve_assets[i];
    if (!a) {
        reply_text(r, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "not found\n");
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        reply_text(r, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                   "method not allowed\n");
        r->allow = "GET, HEAD";
        return;
    }
    r->status = MHD_HTTP_OK;
    r->type = a->type;
    r->body = malloc(a->size ? a->size : 1);
    if (r->body)
        memcpy(r->body, a->data, a->size);
    r->len = a->size;
}

static enum MHD_Result login_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *filename, const char *content_type,
                                   const char *encoding, const char *data, uint64_t off,
                                   size_t size)
{
    request *q = cls;
    (void)kind; (void)filename; (void)content_type; (void)encoding;
    if (strcmp(key, "token") == 0 && off + size < sizeof q->token) {
        memcpy(q->token + off, data, size);
        q->token[off + size] = '\0';
    }
    return MHD_YES;
}

static void login(serve_ctx *ctx, const char *method, request *q, serve_reply *r)
{
    if (!serve_auth_token_required(ctx->auth)) {
        r->status = MHD_HTTP_SEE_OTHER;         /* nothing to sign in to */
        reply_text(r, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "see /\n");
        return;
    }
    if (strcmp(method, "POST") != 0) {
        reply_text(r, strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0
                          ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_METHOD_NOT_ALLOWED,
                   "text/html; charset=utf-8", login_form);
        if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
            r->allow = "GET, HEAD, POST";
        return;
    }
    if (serve_auth_login(ctx->auth, q->token, r->cookie, sizeof r->cookie) != 0) {
        reply_text(r, MHD_HTTP_UNAUTHORIZED, "text/html; charset=utf-8", login_form);
        return;
    }
    reply_text(r, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", "signed in: see /\n");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    serve_ctx *ctx = cls;
    request *q = *req_cls;
    serve_reply r;
    memset(&r, 0, sizeof r);
    (void)version;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        *req_cls = q;
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > SERVE_BODY_MAX) {
            serve_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %d bytes",
                              SERVE_BODY_MAX);
            return send_reply(c, &r);
        }
        if (strcmp(url, "/login") == 0 && strcmp(method, "POST") == 0)
            q->pp = MHD_create_post_processor(c, 1024, login_field, q);
        return MHD_YES;
    }
    if (*upload_size) {
        q->body += *upload_size;
        if (q->body > SERVE_BODY_MAX) {
            *upload_size = 0;
            serve_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %d bytes",
                              SERVE_BODY_MAX);
            return send_reply(c, &r);
        }
        if (q->pp)
            MHD_post_process(q->pp, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/login") == 0) {
        login(ctx, method, q, &r);
        return send_reply(c, &r);
    }
    const char *why;
    int status = serve_auth_check(ctx->auth, c, method, url, &why);
    if (status == MHD_HTTP_UNAUTHORIZED && strncmp(url, "/api/", 5) != 0) {
        reply_text(&r, MHD_HTTP_UNAUTHORIZED, "text/html; charset=utf-8", login_form);
        return send_reply(c, &r);
    }
    if (status) {
        serve_reply_error(&r, (unsigned)status, "%s", why);
        return send_reply(c, &r);
    }
    if (strncmp(url, "/api/", 5) == 0)
        serve_api(ctx, c, method, url, &r);
    else
        serve_page(c, method, url, &r);
    return send_reply(c, &r);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    request *q = *req_cls;
    (void)cls; (void)c; (void)toe;
    if (!q)
        return;
    if (q->pp)
        MHD_destroy_post_processor(q->pp);
    explicit_bzero(q->token, sizeof q->token);
    free(q);
    *req_cls = NULL;
}

/* ---- main ------------------------------------------------------------- */

static int run(serve_ctx *ctx, const listen_addr *addr, const char *token)
{
    char msg[600];
    if (serve_store_open(&ctx->store, &ctx->opt, msg, sizeof msg) < 0) {
        fprintf(stderr, "%s: serve: %s\n", prog_name, msg);
        serve_store_close(&ctx->store);
        return 1;
    }
    ctx->flow = serve_flow_new(ctx->opt.schema, ctx->opt.msgbusgen);
    ctx->auth = serve_auth_new(token, addr->port);
    if (!ctx->flow || !ctx->auth) {
        serve_flow_free(ctx->flow);
        serve_auth_free(ctx->auth);
        serve_store_close(&ctx->store);
        return 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     (addr->v6 ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)addr->port, NULL, NULL, handle, ctx,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr->sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_END);
    int status = 0;
    if (!d) {
        fprintf(stderr, "%s: serve: cannot listen on %s:%u: %s\n", prog_name, addr->host,
                addr->port, strerror(errno));
        status = 1;
    } else {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        unsigned port = info ? info->port : addr->port;
        serve_auth_set_port(ctx->auth, port);
        printf("%s: console on http://%s:%u/ (%s%s)\n", prog_name, addr->host, port,
               ctx->store.name, ctx->opt.read_only ? ", read-only" : "");
        fflush(stdout);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        int sig;
        sigwait(&set, &sig);
        MHD_stop_daemon(d);
    }
    serve_auth_free(ctx->auth);
    serve_flow_free(ctx->flow);
    serve_store_close(&ctx->store);
    return status;
}

int outbox_serve_main(const char *prog, const char *db, const char *conninfo,
                      const char *table, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "pg", required_argument, NULL, 'p' },
        { "table", required_argument, NULL, 't' },
        { "listen", required_argument, NULL, 'l' },
        { "schema", required_argument, NULL, 's' },
        { "msgbusgen", required_argument, NULL, 'm' },
        { "token-file", required_argument, NULL, 'k' },
        { "read-only", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    prog_name = prog ? prog : prog_name;
    serve_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    /* As the other commands: a conninfo wins over a file. */
    ctx.opt.db = conninfo ? NULL : db;
    ctx.opt.conninfo = conninfo;
    ctx.opt.table = table;
    ctx.opt.listen = "127.0.0.1:8080";
    int opt;
    optind = 0;                 /* glibc: start afresh, at argv[1] */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': ctx.opt.db = optarg; ctx.opt.conninfo = NULL; break;
        case 'p': ctx.opt.conninfo = optarg; ctx.opt.db = NULL; break;
        case 't': ctx.opt.table = optarg; break;
        case 'l': ctx.opt.listen = optarg; break;
        case 's': ctx.opt.schema = optarg; break;
        case 'm': ctx.opt.msgbusgen = optarg; break;
        case 'k': ctx.opt.token_file = optarg; break;
        case 'r': ctx.opt.read_only = true; break;
        case 'h': usage(stdout); return 0;
        default:
            return usage_error("unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument: %s", argv[optind]);
    if (!ctx.opt.db && !ctx.opt.conninfo)
        return usage_error("%s", "no database: use --db FILE or --pg CONNINFO");
    if (ctx.opt.table && !msgbus_outbox_table_name_valid(ctx.opt.table))
        return usage_error("invalid table name %s", ctx.opt.table);
#if !HAVE_PQ
    if (ctx.opt.conninfo)     /* now, not on each page */
        return outbox_not_built("--pg", "PostgreSQL", "--with-pq");
#endif
    listen_addr addr;
    if (parse_listen(ctx.opt.listen, &addr) < 0)
        return usage_error("bad --listen %s (use HOST:PORT with a numeric address, [::1]:PORT"
                           " or localhost:PORT)", ctx.opt.listen);
    if (!addr.loopback && !ctx.opt.token_file)
        return usage_error("%s is not a loopback address: --token-file FILE is needed",
                           addr.host);
    char *token = NULL;
    if (ctx.opt.token_file && !(token = read_token(ctx.opt.token_file)))
        return 2;
    /* Only the main thread takes SIGINT and SIGTERM, by sigwait. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int status = run(&ctx, &addr, token);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    return status;
}

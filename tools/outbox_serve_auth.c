/* outbox_serve_auth.c - who may use the console, and which requests may
 * change data (msgbus-outbox(1), SECURITY):
 *  - with a token (any address): every request carries it, in an
 *    Authorization: Bearer header or in the cookie the login form sets;
 *  - without one (loopback only): the Host header must name a loopback
 *    address, so a web page cannot reach the console by DNS rebinding;
 *  - a POST from a browser (cookie or no token) needs the CSRF token of
 *    its session in X-CSRF-Token, and an Origin, if sent, of this console.
 *    A request that authenticates with the Authorization header cannot be
 *    forged by another site's page, so it needs no session. */
#define _GNU_SOURCE
#include "outbox_serve_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define SESSIONS 64
#define SECRET_HEX 32

typedef struct session {
    char id[SECRET_HEX + 1];
    char csrf[SECRET_HEX + 1];
    int64_t created;
} session;

struct serve_auth {
    char *token;                /* NULL: loopback without a token */
    unsigned port;
    pthread_mutex_t lock;
    session sessions[SESSIONS];
};

bool serve_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0;
}

bool serve_token_valid(const char *token)
{
    size_t n = strlen(token);
    return n >= 16 && n <= 256 &&
           strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-") == n;
}

serve_auth *serve_auth_new(const char *token, unsigned port)
{
    serve_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    if (token && !(a->token = strdup(token))) {
        free(a);
        return NULL;
    }
    a->port = port;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void serve_auth_free(serve_auth *a)
{
    if (!a)
        return;
    if (a->token) {
        explicit_bzero(a->token, strlen(a->token));
        free(a->token);
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void serve_auth_set_port(serve_auth *a, unsigned port)
{
    pthread_mutex_lock(&a->lock);
    a->port = port;
    pthread_mutex_unlock(&a->lock);
}

bool serve_auth_token_required(const serve_auth *a)
{
    return a->token != NULL;
}

static int random_hex(char *out, size_t hex_len)
{
    unsigned char bytes[64];
    size_t n = hex_len / 2;
    if (n > sizeof bytes || getrandom(bytes, n, 0) != (ssize_t)n)
        return -1;
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

/* Host names a loopback address, with this port: "127.0.0.1:8080",
 * "localhost:8080", "[::1]:8080" (the port may be left out for 80). */
static bool loopback_host(const char *host, unsigned port)
{
    static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncasecmp(host, names[i], n) != 0)
            continue;
        if (host[n] == '\0')
            return port == 80;
        char *end;
        if (host[n] == ':' && strtoul(host + n + 1, &end, 10) == port && *end == '\0' &&
            host[n + 1] >= '0' && host[n + 1] <= '9')
            return true;
    }
    return false;
}

static bool bearer_ok(serve_auth *a, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return h && strncasecmp(h, "Bearer ", 7) == 0 && serve_secret_equal(h + 7, a->token);
}

int serve_auth_check(serve_auth *a, struct MHD_Connection *c, const char *method,
                     const char *url, const char **why)
{
    (void)method;
    (void)url;
    if (!a->token) {
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        pthread_mutex_lock(&a->lock);
        unsigned port = a->port;
        pthread_mutex_unlock(&a->lock);
        if (host && !loopback_host(host, port)) {
            *why = "the Host header does not name this console's loopback address";
            return MHD_HTTP_FORBIDDEN;
        }
        return 0;
    }
    if (bearer_ok(a, c))
        return 0;
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "msgbus_token");
    if (cookie && serve_secret_equal(cookie, a->token))
        return 0;
    *why = "this console needs its token: Authorization: Bearer TOKEN";
    return MHD_HTTP_UNAUTHORIZED;
}

int serve_auth_check_csrf(serve_auth *a, struct MHD_Connection *c, const char **why)
{
    if (a->token && bearer_ok(a, c))
        return 0;
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) {
        *why = "cross-site request refused";
        return MHD_HTTP_FORBIDDEN;
    }
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (origin && (!host || strncmp(origin, "http://", 7) != 0 || strcmp(origin + 7, host) != 0)) {
        *why = "request from another origin refused";
        return MHD_HTTP_FORBIDDEN;
    }
    const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "msgbus_session");
    const char *token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
    if (!id || !token) {
        *why = "a POST needs the session cookie and its X-CSRF-Token (GET /api/session)";
        return MHD_HTTP_FORBIDDEN;
    }
    bool ok = false;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < SESSIONS && !ok; i++)
        ok = a->sessions[i].id[0] && serve_secret_equal(id, a->sessions[i].id) &&
             serve_secret_equal(token, a->sessions[i].csrf);
    pthread_mutex_unlock(&a->lock);
    if (!ok) {
        *why = "wrong or expired CSRF token (reload the page)";
        return MHD_HTTP_FORBIDDEN;
    }
    return 0;
}

int serve_auth_new_session(serve_auth *a, struct MHD_Connection *c, char *cookie,
                           size_t cookie_size, char *csrf, size_t csrf_size)
{
    /* A browser that still holds a known session keeps it (several tabs). */
    const char *id = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "msgbus_session");
    pthread_mutex_lock(&a->lock);
    session *s = NULL;
    for (size_t i = 0; i < SESSIONS && id && !s; i++)
        if (a->sessions[i].id[0] && serve_secret_equal(id, a->sessions[i].id))
            s = &a->sessions[i];
    if (!s) {
        s = &a->sessions[0];
        for (size_t i = 1; i < SESSIONS; i++)
            if (a->sessions[i].created < s->created)
                s = &a->sessions[i];
        if (random_hex(s->id, SECRET_HEX) < 0 || random_hex(s->csrf, SECRET_HEX) < 0) {
            s->id[0] = '\0';
            pthread_mutex_unlock(&a->lock);
            return -1;
        }
        s->created = serve_now();
    }
    snprintf(cookie, cookie_size, "msgbus_session=%s; HttpOnly; SameSite=Strict; Path=/", s->id);
    snprintf(csrf, csrf_size, "%s", s->csrf);
    pthread_mutex_unlock(&a->lock);
    return 0;
}

int serve_auth_login(serve_auth *a, const char *token, char *cookie, size_t cookie_size)
{
    if (!a->token || !token || !serve_secret_equal(token, a->token))
        return MHD_HTTP_UNAUTHORIZED;
    snprintf(cookie, cookie_size, "msgbus_token=%s; HttpOnly; SameSite=Strict; Path=/", a->token);
    return 0;
}

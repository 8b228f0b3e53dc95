/* outbox_serve_flow.c - the schema's message flow as SVG: `msgbusgen
 * --emit dot` then graphviz `dot -Tsvg`, each a child process killed
 * after a timeout, in a private temporary directory.  The picture is made
 * once and made again when the schema file changes. */
#define _GNU_SOURCE
#include "outbox_serve_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHILD_TIMEOUT_MS 10000
#define SVG_MAX (8u << 20)

struct serve_flow {
    char *schema;
    char *msgbusgen;
    pthread_mutex_t lock;
    char *svg;                  /* the cached picture */
    size_t len;
    struct timespec mtime;      /* of the schema it was made from */
};

/* msgbusgen beside this program (an installed pair, or the build tree's
 * tools/ and msgbusgen/), else the one on PATH. */
static char *find_msgbusgen(void)
{
    char self[PATH_MAX], path[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *dir = dirname(self);
        static const char *const rel[] = { "/msgbusgen", "/../msgbusgen/msgbusgen",
                                           "/../../msgbusgen/msgbusgen" };
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(path, sizeof path, "%s%s", dir, rel[i]);
            if (access(path, X_OK) == 0)
                return strdup(path);
        }
    }
    return strdup("msgbusgen");
}

serve_flow *serve_flow_new(const char *schema, const char *msgbusgen)
{
    serve_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->schema = schema ? strdup(schema) : NULL;
    f->msgbusgen = msgbusgen ? strdup(msgbusgen) : find_msgbusgen();
    pthread_mutex_init(&f->lock, NULL);
    if ((schema && !f->schema) || !f->msgbusgen) {
        serve_flow_free(f);
        return NULL;
    }
    return f;
}

void serve_flow_free(serve_flow *f)
{
    if (!f)
        return;
    free(f->schema);
    free(f->msgbusgen);
    free(f->svg);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* Runs argv (searched on PATH) with output into log; 0 when it exits 0. */
static int run(char *const argv[], const char *log, char *why, size_t why_size)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        if (rc == ENOENT)
            snprintf(why, why_size, "%s not found", argv[0]);
        else
            snprintf(why, why_size, "%s: %s", argv[0], strerror(rc));
        return -1;
    }
    int status = 0;
    for (int waited = 0;; waited += 20) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid)
            break;
        if (done < 0 && errno != EINTR) {
            snprintf(why, why_size, "%s: %s", argv[0], strerror(errno));
            return -1;
        }
        if (waited >= CHILD_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(why, why_size, "%s took longer than %d s", argv[0], CHILD_TIMEOUT_MS / 1000);
            return -1;
        }
        nanosleep(&(struct timespec){ 0, 20 * 1000000L }, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    /* The child's first line says why (a spawn failure exits 127). */
    char line[300] = "";
    FILE *in = fopen(log, "r");
    if (in) {
        if (!fgets(line, sizeof line, in))
            line[0] = '\0';
        fclose(in);
    }
    line[strcspn(line, "\n")] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !line[0])
        snprintf(why, why_size, "%s not found", argv[0]);
    else
        snprintf(why, why_size, "%s failed: %s", argv[0], line[0] ? line : "no message");
    return -1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    char *buf = malloc(SVG_MAX + 1);
    size_t n = buf ? fread(buf, 1, SVG_MAX + 1, in) : 0;
    fclose(in);
    if (!buf || n > SVG_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int make_svg(serve_flow *f, char *why, size_t why_size)
{
    char dir[] = "/tmp/msgbus-console.XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(why, why_size, "cannot make a temporary directory: %s", strerror(errno));
        return -1;
    }
    char base[PATH_MAX], dot[PATH_MAX + 64], svg[PATH_MAX + 64], log[PATH_MAX + 64];
    snprintf(base, sizeof base, "%s", f->schema);
    snprintf(dot, sizeof dot, "%s/%s.dot", dir, basename(base));
    snprintf(svg, sizeof svg, "%s/flow.svg", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    char *gen[] = { f->msgbusgen, (char *)"--emit", (char *)"dot", (char *)"-o", dir, f->schema, NULL };
    char *render[] = { (char *)"dot", (char *)"-Tsvg", (char *)"-o", svg, dot, NULL };
    int rc = run(gen, log, why, why_size);
    if (rc == 0 && access(dot, R_OK) != 0) {
        snprintf(why, why_size, "%s wrote no %s", f->msgbusgen, dot);
        rc = -1;
    }
    if (rc == 0 && (rc = run(render, log, why, why_size)) < 0 && strcmp(why, "dot not found") == 0)
        snprintf(why, why_size, "graphviz is not installed (no dot on PATH)");
    if (rc == 0) {
        free(f->svg);
        f->svg = read_file(svg, &f->len);
        if (!f->svg) {
            snprintf(why, why_size, "cannot read the SVG that dot wrote");
            rc = -1;
        }
    }
    unlink(dot);
    unlink(svg);
    unlink(log);
    rmdir(dir);
    return rc;
}

int serve_flow_svg(serve_flow *f, char **svg, size_t *len, char *why, size_t why_size)
{
    if (!f->schema) {
        snprintf(why, why_size, "no schema: start the console with --schema FILE.msg");
        return -1;
    }
    struct stat st;
    if (stat(f->schema, &st) != 0) {
        snprintf(why, why_size, "%s: %s", f->schema, strerror(errno));
        return -1;
    }
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    if (!f->svg || st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec) {
        rc = make_svg(f, why, why_size);
        if (rc == 0)
            f->mtime = st.st_mtim;
    }
    if (rc == 0) {
        *svg = malloc(f->len + 1);
        if (*svg) {
            memcpy(*svg, f->svg, f->len + 1);
            *len = f->len;
        } else {
            snprintf(why, why_size, "out of memory");
            rc = -1;
        }
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

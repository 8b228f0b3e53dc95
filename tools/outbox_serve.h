/* outbox_serve.h - `msgbus-outbox serve`: the operator's web console.
 * See msgbus-outbox(1), section THE WEB CONSOLE. */
#ifndef OUTBOX_SERVE_H
#define OUTBOX_SERVE_H

/* Runs the console until SIGINT or SIGTERM.  db, conninfo and table are
 * the tool's global choices (may be NULL); argv holds the arguments after
 * "serve", which may choose them again.  Returns the exit status: 0, 1
 * (a database or server error), 2 (a usage error). */
int outbox_serve_main(const char *prog, const char *db, const char *conninfo,
                      const char *table, int argc, char **argv);

#endif /* OUTBOX_SERVE_H */

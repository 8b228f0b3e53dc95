/* outbox_serve_none.c - `msgbus-outbox serve` in a build without
 * libmicrohttpd (configure --with-microhttpd=no, or not installed). */
#include "outbox_serve.h"

#include <stdio.h>

int outbox_serve_main(const char *prog, const char *db, const char *conninfo,
                      const char *table, int argc, char **argv)
{
    (void)db; (void)conninfo; (void)table; (void)argc; (void)argv;
    fprintf(stderr, "%s: serve: this %s was built without the web console (it needs"
                    " libmicrohttpd: configure --with-microhttpd)\n", prog, prog);
    return 1;
}

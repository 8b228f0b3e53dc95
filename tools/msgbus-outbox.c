/* msgbus-outbox - inspect and maintain an outbox table in SQLite or
 * PostgreSQL.  This file parses the global options, opens the database
 * and runs one subcommand from the table below; each subcommand is one
 * function in its own tools/outbox_NAME.c (see outbox_tool.h).  See
 * msgbus-outbox(1). */
#define _POSIX_C_SOURCE 200809L
#include <config.h>
#include "outbox_tool.h"
#include "outbox_serve.h"

#include <stdlib.h>
#include <string.h>

typedef struct outbox_command {
    const char *name;
    outbox_cmd_fn run;
    const char *usage;          /* its line in --help */
} outbox_command;

static const outbox_command commands[] = {
    { "stats", outbox_cmd_stats, "stats [--json | --format=text|json|prometheus]" },
    { "list", outbox_cmd_list,
      "list [--pending|--failed|--dead|--processed|--all] [FILTER...] [--offset N] [--json]" },
    { "show", outbox_cmd_show, "show ID [--json]" },
    { "retry", outbox_cmd_retry,
      "retry ID | --all-dead | [--pending|--failed|--dead] [FILTER...]  [--dry-run]" },
    { "purge", outbox_cmd_purge,
      "purge --processed|--dead --before DURATION|TIME [FILTER...] [--batch N] [--dry-run]" },
    { "relay", outbox_cmd_relay,
      "relay --ndjson|--nats URL [--source URI] [--prefix SUBJECT] [--once] [--batch N]\n"
      "        [--worker NAME] [--max-attempts N] [--json] [--quiet]" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: %s [--db FILE | --pg CONNINFO] [--table NAME] COMMAND [OPTION...]\n"
                 "       %s --help | --version\ncommands:\n", OUTBOX_PROG, OUTBOX_PROG);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %s\n", commands[i].usage);
    fprintf(out, "  serve [--listen HOST:PORT] [--schema FILE.msg] [--token-file FILE] [--read-only]\n"
                 "        (the web console: %s serve --help)\n", OUTBOX_PROG);
    fprintf(out, "FILTER: --type NAME --error-contains TEXT --older-than DURATION|TIME --limit N\n"
                 "DURATION: 500ms, 45s, 90m, 12h, 30d, 2w (back from now); TIME: RFC 3339.\n"
                 "FILE defaults to $MSGBUS_OUTBOX_DB, CONNINFO to $MSGBUS_OUTBOX_PG, NAME to "
                 MSGBUS_SQLITE_DEFAULT_TABLE ".\n"
                 "See msgbus-outbox(1).\n");
}

static const outbox_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    enum { OPT_DB = 0x100, OPT_PG, OPT_TABLE, OPT_VERSION };
    static const struct option longopts[] = {
        { "db", required_argument, NULL, OPT_DB },
        { "pg", required_argument, NULL, OPT_PG },
        { "table", required_argument, NULL, OPT_TABLE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    outbox_tool t = { .where = getenv("MSGBUS_OUTBOX_DB"), .conninfo = getenv("MSGBUS_OUTBOX_PG") };
    if (t.where && t.conninfo)      /* both set: the file, as --db would win */
        t.conninfo = NULL;
    int c;
    outbox_getopt_start(NULL);
    while ((c = outbox_getopt(argc, argv, "h", longopts)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("%s (%s) %s\n", OUTBOX_PROG, PACKAGE_NAME, PACKAGE_VERSION);
            return 0;
        case OPT_DB:
            t.where = optarg;
            t.conninfo = NULL;
            break;
        case OPT_PG:
            t.conninfo = optarg;
            break;
        case OPT_TABLE:
            t.table = optarg;
            break;
        default:
            return 2;
        }
    }
    if (optind == argc)
        return outbox_usage("no command (stats, list, show, retry, purge, relay or serve)");
    /* The console takes --db and --pg after its name too: it checks them. */
    if (strcmp(argv[optind], "serve") == 0)
        return outbox_serve_main(OUTBOX_PROG, t.conninfo ? NULL : t.where, t.conninfo, t.table,
                                 argc - optind, argv + optind);
    const outbox_command *cmd = find_command(argv[optind]);
    if (!cmd)
        return outbox_usage("unknown command %s", argv[optind]);
    /* A subcommand's --help needs no database. */
    for (int i = optind + 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    if (!t.where && !t.conninfo)
        return outbox_usage("no database: use --db FILE or --pg CONNINFO, or set"
                            " MSGBUS_OUTBOX_DB or MSGBUS_OUTBOX_PG");
    if (t.table && !msgbus_outbox_table_name_valid(t.table))
        return outbox_usage("invalid table name %s (letters, digits and '_', at most %d)",
                            t.table, MSGBUS_OUTBOX_TABLE_MAX);
    int status = cmd->run(&t, argc - optind, argv + optind);
    outbox_close(&t);
    return status;
}

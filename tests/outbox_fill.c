/* outbox_fill.c - makes an SQLite outbox for the msgbus-outbox tests:
 * outbox_fill FILE [TABLE] registers three ot.Ship commands, with ids
 * row-1 .. row-3, through the library (so the table is the library's). */
#include <stdio.h>
#include <stdlib.h>
#include <msgbus/msgbus.h>
#include <msgbus/sqlite.h>
#define OT_DEFINE_MODULE
#include "outbox_test_module.h"

int ot_ship(msgbus_ctx *ctx, const ot_Ship *msg)
{
    (void)ctx; (void)msg;
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    msgbus_outbox_repo *repo;
    msgbus_error err;
    if (argc < 2 || sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 2;
    if (msgbus_sqlite_outbox_new(db, argc > 2 ? argv[2] : NULL, 0, &repo, &err) != 0) {
        fprintf(stderr, "%s\n", err.text);
        return 1;
    }
    json_t *meta = json_pack("{s:s}", "source", "outbox_fill");
    for (int i = 1; i <= 3; i++) {
        ot_Ship m;
        char id[MSGBUS_OUTBOX_ID_SIZE];
        msgbus_value_init(&ot_Ship_type, &m);
        m.order_id = i;
        m.label = (char *)"parcel";
        snprintf(id, sizeof id, "row-%d", i);
        if (msgbus_outbox_register(repo, &m.base, id, meta, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
    }
    json_decref(meta);
    msgbus_outbox_repo_free(repo);
    sqlite3_close(db);
    return 0;
}

/* fault_stream.c - the JetStream stream of the fault tests:
 *   fault_stream URLS NAME SUBJECT REPLICAS DUP_SECONDS   creates it
 *   fault_stream URLS NAME                                 prints "MSGS LEADER"
 *   fault_stream URLS NAME current REPLICAS                prints "MSGS LEADER last=SEQ" and
 *                                   each follower's state; exits 0 only when the
 *                                   stream has a leader and REPLICAS - 1 followers,
 *                                   all current (online, heard from lately, no
 *                                   Raft lag).  That is the leader's view of the
 *                                   Raft log: a follower still restoring the stream
 *                                   itself may pass, so compare each node's /jsz.
 *   fault_stream URLS NAME get SEQ...                      prints "SEQ MSG-ID" for
 *                                   each (MSG-ID "-" when the sequence holds none)
 * URLS may list a cluster's servers, separated by commas. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <nats/nats.h>

int main(int argc, char **argv)
{
    bool get = argc >= 4 && strcmp(argv[3], "get") == 0;
    bool current = argc == 5 && strcmp(argv[3], "current") == 0;
    if (argc != 3 && argc != 6 && !get && !current) {
        fprintf(stderr, "usage: fault_stream URLS NAME [SUBJECT REPLICAS DUP_SECONDS | "
                        "current REPLICAS | get SEQ...]\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsOptions *o = NULL;
    bool behind = false;
    natsStatus s = natsOptions_Create(&o);
    char copy[1024];
    const char *list[8];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", argv[1]);
    for (char *save = NULL, *u = strtok_r(copy, ",", &save); u && n < 8; u = strtok_r(NULL, ",", &save))
        list[n++] = u;
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, list, n);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK && get) {
        /* What each sequence holds now, by its Nats-Msg-Id. */
        for (int i = 4; i < argc; i++) {
            natsMsg *m = NULL;
            const char *id = NULL;
            uint64_t seq = strtoull(argv[i], NULL, 10);
            if (js_GetMsg(&m, js, argv[2], seq, NULL, &jerr) == NATS_OK &&
                natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id)
                printf("%llu %s\n", (unsigned long long)seq, id);
            else
                printf("%llu -\n", (unsigned long long)seq);
            natsMsg_Destroy(m);
        }
    } else if (s == NATS_OK && current) {
        /* As the leader sees its followers' Raft logs: current (heard
         * from lately) and no lag. */
        int caught_up = 0;
        s = js_GetStreamInfo(&si, js, argv[2], NULL, &jerr);
        if (s == NATS_OK) {
            const jsClusterInfo *c = si->Cluster;
            printf("%llu %s last=%llu", (unsigned long long)si->State.Msgs,
                   c && c->Leader ? c->Leader : "-", (unsigned long long)si->State.LastSeq);
            for (int i = 0; c && i < c->ReplicasLen; i++) {
                const jsPeerInfo *p = c->Replicas[i];
                printf(" %s:%s,lag=%llu", p->Name, p->Offline ? "offline" : p->Current ? "current" : "behind",
                       (unsigned long long)p->Lag);
                caught_up += p->Current && !p->Offline && p->Lag == 0;
            }
            printf("\n");
            behind = !c || !c->Leader || caught_up != atoi(argv[4]) - 1;
        }
    } else if (s == NATS_OK && argc == 6) {
        const char *subjects[] = { argv[3] };
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = argv[2];
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Storage = js_FileStorage;
        cfg.Replicas = atoi(argv[4]);
        cfg.Duplicates = (int64_t)atoi(argv[5]) * 1000000000;    /* nanoseconds */
        /* A new stream's leader may still be being elected: retry a little. */
        for (int i = 0; i < 50; i++) {
            s = js_AddStream(&si, js, &cfg, NULL, &jerr);
            if (s == NATS_OK)
                break;
            nats_Sleep(200);
        }
    } else if (s == NATS_OK) {
        s = js_GetStreamInfo(&si, js, argv[2], NULL, &jerr);
        if (s == NATS_OK)
            printf("%llu %s\n", (unsigned long long)si->State.Msgs,
                   si->Cluster && si->Cluster->Leader ? si->Cluster->Leader : "-");
    }
    if (s != NATS_OK)
        fprintf(stderr, "fault_stream: %s (JetStream error %d)\n", natsStatus_GetText(s), (int)jerr);
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_Close();
    return s == NATS_OK && !behind ? 0 : 1;
}

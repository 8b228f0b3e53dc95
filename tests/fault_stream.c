/* fault_stream.c - the JetStream stream of the fault tests:
 *   fault_stream URLS NAME SUBJECT REPLICAS DUP_SECONDS   creates it
 *   fault_stream URLS NAME                                 prints "MSGS LEADER"
 * URLS may list a cluster's servers, separated by commas. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nats/nats.h>

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 6) {
        fprintf(stderr, "usage: fault_stream URLS NAME [SUBJECT REPLICAS DUP_SECONDS]\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsOptions *o = NULL;
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
    if (s == NATS_OK && argc == 6) {
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
    return s == NATS_OK ? 0 : 1;
}

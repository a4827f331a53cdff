/* accept: HTTP Accept / Accept-Encoding negotiation. See accept.c. */
#ifndef AE_EXPORTER_WEB_ACCEPT_H
#define AE_EXPORTER_WEB_ACCEPT_H

#include <stdbool.h>

#include "metrics/expo.h"

/* The exposition format an Accept header asks for: OpenMetrics 1.0 when
 * it prefers application/openmetrics-text (a version we can write) over
 * text/plain by q-value, else text 0.0.4. NULL means text. */
enum expo_format accept_format(const char *accept);
/* True when an Accept-Encoding header allows gzip (gzip or * with q > 0,
 * not refused by a later gzip;q=0). */
bool accept_gzip(const char *accept_encoding);

#endif

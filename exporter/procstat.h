/* procstat: the process_* metrics of the exporter itself. See procstat.c. */
#ifndef AE_EXPORTER_PROCSTAT_H
#define AE_EXPORTER_PROCSTAT_H

#include "metrics/expo.h"

/* Writes process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_virtual_memory_max_bytes,
 * process_open_fds, process_max_fds and process_start_time_seconds, as the
 * Prometheus client libraries name them. Returns 0 or -errno (a /proc read
 * failed; what could be read is written). */
int procstat_write(struct expo *w);

#endif

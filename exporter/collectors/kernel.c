/*
 * kernel: the kernel's audit status (audit_kernel_*), as the reader polled
 * it last. It consumes no audit input; its samples are written by the
 * scrape (scrape_kernel), which holds the status snapshot. Text sources
 * have no kernel to ask and write nothing.
 */
#include "exporter/collectors/collector.h"
#include "exporter/scrape.h"

const struct coll_def coll_kernel = {
	.name = "kernel",
	.on = true,
	.write = scrape_kernel,
};

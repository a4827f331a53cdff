/*
 * procstat: the exporter's own process metrics, from /proc/self.
 *
 * Same names and meanings as the Prometheus client libraries' process
 * collector, so existing dashboards and alerts for process_* work:
 *   /proc/self/stat   utime + stime (clock ticks), start time (ticks after
 *                     boot), vsize (bytes), rss (pages)
 *   /proc/stat        btime: the boot time, to make the start time absolute
 *   /proc/self/fd     one entry per open descriptor
 *   getrlimit         RLIMIT_NOFILE and RLIMIT_AS
 */
#include "exporter/procstat.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int procstat_boot_time(double *btime)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "r");
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long b;

		if (sscanf(line, "btime %llu", &b) == 1) {
			*btime = (double)b;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int procstat_open_fds(double *n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long count = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			count++;
	closedir(d);
	*n = (double)(count - 1); /* not the descriptor of the listing */
	return 0;
}

int procstat_write(struct expo *w)
{
	char buf[1024];
	unsigned long long utime, stime, start, vsize;
	long long rss;
	double tick = (double)sysconf(_SC_CLK_TCK);
	double btime = 0, fds = 0;
	struct rlimit rl;
	FILE *f;
	char *p;
	size_t n;
	int rc = 0;

	f = fopen("/proc/self/stat", "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: skip to the last
	 * ')' and count fields from there (field 3, state, comes next) */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
			 "%llu %*d %*d %*d %*d %*d %*d %llu %llu %lld",
			 &utime, &stime, &start, &vsize, &rss) != 5)
		return -EINVAL;
	expo_family(w, "process_cpu_seconds",
		    "Total user and system CPU time spent in seconds.",
		    EXPO_COUNTER);
	expo_value(w, "", 0, NULL, (double)(utime + stime) / tick);
	expo_family(w, "process_resident_memory_bytes",
		    "Resident memory size in bytes.", EXPO_GAUGE);
	expo_value(w, "", 0, NULL, (double)rss * (double)sysconf(_SC_PAGESIZE));
	expo_family(w, "process_virtual_memory_bytes",
		    "Virtual memory size in bytes.", EXPO_GAUGE);
	expo_value(w, "", 0, NULL, (double)vsize);
	if (getrlimit(RLIMIT_AS, &rl) == 0) {
		expo_family(w, "process_virtual_memory_max_bytes",
			    "Maximum amount of virtual memory available in "
			    "bytes.",
			    EXPO_GAUGE);
		expo_value(w, "", 0, NULL,
			   rl.rlim_cur == RLIM_INFINITY ? -1
							: (double)rl.rlim_cur);
	}
	if (procstat_open_fds(&fds) == 0) {
		expo_family(w, "process_open_fds",
			    "Number of open file descriptors.", EXPO_GAUGE);
		expo_value(w, "", 0, NULL, fds);
	} else {
		rc = -EIO;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		expo_family(w, "process_max_fds",
			    "Maximum number of open file descriptors.",
			    EXPO_GAUGE);
		expo_value(w, "", 0, NULL,
			   rl.rlim_cur == RLIM_INFINITY ? -1
							: (double)rl.rlim_cur);
	}
	if (procstat_boot_time(&btime) == 0) {
		expo_family(w, "process_start_time_seconds",
			    "Start time of the process since unix epoch in "
			    "seconds.",
			    EXPO_GAUGE);
		expo_value(w, "", 0, NULL, btime + (double)start / tick);
	} else {
		rc = -EIO;
	}
	return rc;
}

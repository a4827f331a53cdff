/*
 * table: the collectors, one line each, in exposition order.
 *
 * Adding a collector: its file in this folder defines a struct coll_def
 * named coll_NAME (see collector.h: name, default, what it consumes, its
 * families, its update, sweep and scrape), and one line here. Flags
 * (--[no-]collector.NAME), the usage text, the dispatcher and the scrape
 * all walk this table.
 */
#include "exporter/collectors/collector.h"

#define COLLECTORS(X)                                                          \
	X(connect)                                                             \
	X(connect_outcome)                                                     \
	X(listen)                                                              \
	X(execve)                                                              \
	X(watch)                                                               \
	X(syscall)                                                             \
	X(records)                                                             \
	X(kernel)                                                              \
	X(users)                                                               \
	X(baseline)                                                            \
	X(destinations)

#define COLL_DECLARE(n) extern const struct coll_def coll_##n;
#define COLL_ENTRY(n) &coll_##n,

COLLECTORS(COLL_DECLARE)

const struct coll_def *const coll_table[] = { COLLECTORS(COLL_ENTRY) };
const unsigned coll_n = sizeof(coll_table) / sizeof(coll_table[0]);

_Static_assert(sizeof(coll_table) / sizeof(coll_table[0]) <= COLL_MAX, "raise "
								       "COLL_"
								       "MAX");

/*
 * collector: what the collectors share: the update helpers (inline in
 * collector.h: they are on every event's path), the address-family
 * labels, and lookup by name in the table.
 *
 * A collector (one file in this folder, one line in table.c) owns its
 * families and whatever state its updates need (series caches, the bind
 * table); the dispatcher (exporter/agg.c) creates its families, hands it
 * the records and decoded events it consumes, sweeps its families and
 * writes them at a scrape through its entry in the table.
 *
 * Series caches. Most events come from processes seen a moment ago, so a
 * collector may keep the series an event updates in a direct-mapped cache
 * (coll_cached). An entry is checked against its full key (never a false
 * hit) and against the sweep generation (a sweep may free series); a hit
 * goes through fam_hit so the series is stamped and a folded one still
 * counts as folded. A miss is an ordinary lookup.
 *
 * Out of memory: an update that needs a new label set or a sketch to grow
 * and cannot have it is lost and counted (skipped, reason no_memory);
 * nothing else changes, and the next update tries again.
 *
 * Threads: the reader thread, with the exporter's lock held.
 */
#include "exporter/collectors/collector.h"

#include <string.h>

const char *const coll_family_labels[COLL_NFAMILY] = { "inet", "inet6", "unix",
						       "other" };

int coll_find(const char *name)
{
	for (unsigned i = 0; i < coll_n; i++)
		if (!strcmp(coll_table[i]->name, name))
			return (int)i;
	return -1;
}

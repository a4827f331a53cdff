/*
 * collector: what the collectors share: the update helpers (inline in
 * collector.h: they are on every event's path), the address-family
 * labels, a socket's local address as labels, and lookup by name in the
 * table.
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

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

const char *const coll_family_labels[COLL_NFAMILY] = { "inet", "inet6", "unix",
						       "other" };

int coll_find(const char *name)
{
	for (unsigned i = 0; i < coll_n; i++)
		if (!strcmp(coll_table[i]->name, name))
			return (int)i;
	return -1;
}

void coll_local_labels(const struct aev *e, struct coll_local *out)
{
	enum arec_family f;
	const uint8_t *addr;
	uint16_t port;

	strcpy(out->family, "unknown");
	strcpy(out->address, "unknown");
	strcpy(out->port, "unknown");
	if (!e->net.have_local)
		return;
	f = e->net.lfamily;
	addr = e->net.laddr;
	port = e->net.lport;
	strcpy(out->family, coll_family_labels[coll_family(f)]);
	if (f != AREC_AF_INET && f != AREC_AF_INET6) {
		out->address[0] = out->port[0] = 0;
		return;
	}
	if (!inet_ntop(f == AREC_AF_INET ? AF_INET : AF_INET6, addr,
		       out->address, sizeof(out->address)))
		strcpy(out->address, "unknown");
	snprintf(out->port, sizeof(out->port), "%u", port);
}

/*
 * listen: who started listening on which port.
 *
 *   audit_listen_total{comm,uid,family,port}
 *
 * listen() names no address: the port is the one its socket was bound to,
 * which the enrich stage (exporter/enrich.c) remembers from the socket's
 * earlier successful bind() of the same (pid, fd) ("unknown" for family
 * and port if it was not seen; an empty port for a family without one,
 * such as unix). A socketcall without its SOCKETCALL record has no fd:
 * neither remembered nor found.
 */
#include "exporter/collectors/collector.h"

#include <stdio.h>

/* folded: each family, and "unknown" */
static const struct coll_fam listen_fams[] = { {
	.desc = {
		"audit_listen",
		"Successful listen() calls by process name, real uid, "
		"address family and port (from the socket's earlier "
		"bind(); unknown if it was not seen).",
		FAM_COUNTER,
		4,
		{ "comm", "uid", "family", "port" },
		0xb, /* all but family */
	},
	.folded_max = COLL_NFAMILY + 1,
} };

static void listen_event(struct coll *c, const struct aev *e)
{
	char port[8] = "unknown";
	const char *family = "unknown";

	if (e->success != 1)
		return;
	if (e->net.have_local) {
		enum arec_family f = e->net.lfamily;

		family = coll_family_labels[coll_family(f)];
		if (f == AREC_AF_INET || f == AREC_AF_INET6)
			snprintf(port, sizeof(port), "%u", e->net.lport);
		else
			port[0] = 0;
	}
	{
		struct fam_lv lv[4] = {
			{ e->comm, e->comm_len },
			{ e->uid.p ? e->uid.p : "", e->uid.len },
			COLL_LV(family),
			COLL_LV(port),
		};

		coll_count(c->ctx, c->fam[0], NULL, lv, e->t);
	}
}

const struct coll_def coll_listen = {
	.name = "listen",
	.on = true,
	.classes = AEV_BIT(AEV_LISTEN),
	COLL_FAMS(listen_fams),
	.event = listen_event,
};

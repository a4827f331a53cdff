/*
 * listen: who listens on which address and port.
 *
 *   audit_listen_total{comm,uid,auid,family,protocol,address,port}
 *
 * Two kinds of service are counted, each once, when it starts:
 *
 *   listen()  a successful one: a TCP listener (protocol from the socket's
 *             socket(), or from the kernel, "unknown" when neither said;
 *             "other" for SCTP and the like)
 *   bind()    a successful one of a UDP socket: a UDP service, which never
 *             calls listen(). Only when the socket is known to be UDP (its
 *             socket() was seen, or the kernel found it among UDP sockets);
 *             a bind of a TCP socket is counted at its listen().
 *
 * The address and port are the enrich stage's (exporter/enrich.c) in
 * e->net: live, with --audit.resolve-sockets, the kernel's (the real port
 * of a port-0 bind, the address of a socket bound in a parent process);
 * otherwise what the socket's bind() said (a port-0 bind reads port "0"),
 * and "unknown" for family, address and port when no bind was seen. A
 * family without ports (unix) has an empty address and port. The address
 * is inet_ntop's text: 0.0.0.0 and :: are the any address (reachable from
 * every interface), 127.0.0.0/8 and ::1 loopback.
 *
 * Folding: comm, uid, auid, address and port fold at the series cap;
 * family and protocol do not, so the sums by family and protocol stay
 * exact.
 */
#include "exporter/collectors/collector.h"

enum {
	LISTEN_COMM,
	LISTEN_UID,
	LISTEN_AUID,
	LISTEN_FAMILY,
	LISTEN_PROTOCOL,
	LISTEN_ADDRESS,
	LISTEN_PORT,
	LISTEN_NLABELS,
};

/* folded: each family and "unknown", by each protocol */
static const struct coll_fam listen_fams[] = { {
	.desc = {
		"audit_listen",
		"Services started: successful listen() calls and bind() "
		"calls of UDP sockets, by process name, uid, login uid, "
		"address family, protocol, local address and port (the "
		"kernel's when it could be asked, else the socket's "
		"earlier bind(); unknown if neither).",
		FAM_COUNTER,
		LISTEN_NLABELS,
		{ "comm", "uid", "auid", "family", "protocol", "address",
		  "port" },
		/* all but family and protocol */
		(1u << LISTEN_NLABELS) - 1 - (1u << LISTEN_FAMILY) -
			(1u << LISTEN_PROTOCOL),
	},
	.folded_max = (COLL_NFAMILY + 1) * SOCKTAB_NPROTO,
} };

static void listen_event(struct coll *c, const struct aev *e)
{
	struct coll_local local;

	if (e->success != 1)
		return;
	if (e->class == AEV_BIND && e->net.proto != SOCKTAB_UDP)
		return;
	coll_local_labels(e, &local);
	{
		const char *proto = socktab_proto_name(e->net.proto);
		struct fam_lv lv[LISTEN_NLABELS] = {
			{ e->comm, e->comm_len },
			{ e->uid.p ? e->uid.p : "", e->uid.len },
			{ e->auid.p ? e->auid.p : "", e->auid.len },
			COLL_LV(local.family),
			COLL_LV(proto),
			COLL_LV(local.address),
			COLL_LV(local.port),
		};

		coll_count(c->ctx, c->fam[0], NULL, lv, e->t);
	}
}

const struct coll_def coll_listen = {
	.name = "listen",
	.on = true,
	.classes = AEV_BIT(AEV_BIND) | AEV_BIT(AEV_LISTEN),
	COLL_FAMS(listen_fams),
	.event = listen_event,
};

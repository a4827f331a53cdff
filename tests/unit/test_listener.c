/* Unit tests for exporter/listener: what a listen() or bind() is resolved
 * to, against a fake kernel (a table of sockets by (pid, fd) and inode). */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exporter/listener.h"

/* The fake kernel: descriptors (pid, fd) -> inode, sockets by inode. */
struct fake_fd {
	uint64_t pid, fd, inode;
};
struct fake {
	struct fake_fd fds[4];
	unsigned nfd;
	struct sockdiag_sock socks[4];
	unsigned nsock;
	int inode_err; /* returned by inode_of when set */
	/* what the lookups were asked, in order */
	unsigned nlookup;
	int protocol[4];
	unsigned states[4];
	uint16_t hint[4];
};

static int fake_inode_of(void *arg, uint64_t pid, uint64_t fd, uint64_t *inode)
{
	struct fake *k = arg;

	if (k->inode_err)
		return k->inode_err;
	for (unsigned i = 0; i < k->nfd; i++)
		if (k->fds[i].pid == pid && k->fds[i].fd == fd) {
			*inode = k->fds[i].inode;
			return 0;
		}
	return -ENOENT;
}

/* As sockdiag_lookup_inode: the protocol, a state in the mask, the port
 * filter when set, the inode. */
static int fake_lookup(void *arg, int protocol, unsigned states, uint64_t inode,
		       uint16_t lport, struct sockdiag_sock *out)
{
	struct fake *k = arg;

	assert_true(k->nlookup < 4);
	k->protocol[k->nlookup] = protocol;
	k->states[k->nlookup] = states;
	k->hint[k->nlookup++] = lport;
	for (unsigned i = 0; i < k->nsock; i++) {
		const struct sockdiag_sock *s = &k->socks[i];

		if (s->protocol == protocol &&
		    (states & SOCKDIAG_ST(s->state)) &&
		    (!lport || s->lport == lport) && s->inode == inode) {
			*out = *s;
			return 0;
		}
	}
	return -ENOENT;
}

static struct listener *fake_new(struct fake *k)
{
	struct listener_ops ops = { fake_inode_of, fake_lookup, k };
	struct listener *l = listener_new(&ops);

	assert_non_null(l);
	return l;
}

static struct sockdiag_sock *fake_sock(struct fake *k, uint64_t pid,
				       uint64_t fd, uint64_t inode,
				       int protocol, uint8_t state)
{
	struct sockdiag_sock *s = &k->socks[k->nsock++];

	k->fds[k->nfd++] = (struct fake_fd){ pid, fd, inode };
	memset(s, 0, sizeof(*s));
	s->family = AF_INET;
	s->protocol = (uint8_t)protocol;
	s->state = state;
	s->inode = inode;
	return s;
}

static void ev_init(struct aev *e, enum aev_class class, uint64_t pid,
		    uint64_t fd)
{
	memset(e, 0, sizeof(*e));
	e->class = class;
	e->success = 1;
	e->pid = pid;
	e->fd = fd;
	e->have_fd = true;
}

/* A port-0 bind on 127.0.0.1, then listen(): the kernel's port and
 * address replace the bind table's 0, and the protocol is learnt. */
static void test_listen_port0(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct sockdiag_sock *s =
		fake_sock(&k, 100, 3, 7001, IPPROTO_TCP, SOCKDIAG_LISTEN);
	struct aev e;
	const uint8_t lo[4] = { 127, 0, 0, 1 };

	(void)state;
	memcpy(s->laddr, lo, 4);
	s->lport = 32911;
	ev_init(&e, AEV_LISTEN, 100, 3);
	e.net.have_local = true; /* the bind table: 127.0.0.1 port 0 */
	e.net.lfamily = AREC_AF_INET;
	memcpy(e.net.laddr, lo, 4);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_true(e.net.have_local);
	assert_true(e.net.local_kernel);
	assert_int_equal(e.net.lfamily, AREC_AF_INET);
	assert_int_equal(e.net.lport, 32911);
	assert_memory_equal(e.net.laddr, lo, 4);
	assert_int_equal(e.net.proto, SOCKTAB_TCP);
	/* one LISTEN lookup of TCP, no port filter for a port-0 bind */
	assert_int_equal(k.nlookup, 1);
	assert_int_equal(k.protocol[0], IPPROTO_TCP);
	assert_int_equal(k.states[0], SOCKDIAG_ST(SOCKDIAG_LISTEN));
	assert_int_equal(k.hint[0], 0);
	assert_int_equal(listener_stats(l)->resolved, 1);
	listener_free(l);
}

/* Bound in the parent (pid 100), listening in the child (pid 101): no
 * bind table entry, the child's descriptor names the same socket. inet6
 * family and address come from the kernel. */
static void test_listen_forked_inet6(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct sockdiag_sock *s =
		fake_sock(&k, 101, 5, 7002, IPPROTO_TCP, SOCKDIAG_LISTEN);
	struct aev e;
	uint8_t any6[16] = { 0 };

	(void)state;
	s->family = AF_INET6;
	s->lport = 8080;
	ev_init(&e, AEV_LISTEN, 101, 5);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.lfamily, AREC_AF_INET6);
	assert_int_equal(e.net.lport, 8080);
	assert_memory_equal(e.net.laddr, any6, 16);
	assert_true(e.net.local_kernel);
	listener_free(l);
}

/* A stale bind-table port narrows the dump to nothing: asked again
 * without it, the inode decides. */
static void test_listen_stale_hint(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct sockdiag_sock *s =
		fake_sock(&k, 100, 3, 7003, IPPROTO_TCP, SOCKDIAG_LISTEN);
	struct aev e;

	(void)state;
	s->lport = 9000;
	ev_init(&e, AEV_LISTEN, 100, 3);
	e.net.have_local = true;
	e.net.lfamily = AREC_AF_INET;
	e.net.lport = 8000;
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.lport, 9000);
	assert_int_equal(k.nlookup, 2);
	assert_int_equal(k.hint[0], 8000);
	assert_int_equal(k.hint[1], 0);
	listener_free(l);
}

/* Gone before the record was read, or not found in the kernel: the event
 * keeps what the records said, and the outcome is counted. */
static void test_listen_not_found(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct aev e;

	(void)state;
	ev_init(&e, AEV_LISTEN, 100, 3);
	e.net.have_local = true;
	e.net.lfamily = AREC_AF_INET;
	e.net.lport = 0;
	assert_int_equal(listener_resolve(l, &e), -ENOENT);
	assert_true(e.net.have_local);
	assert_false(e.net.local_kernel);
	assert_int_equal(e.net.lport, 0);
	assert_int_equal(e.net.proto, SOCKTAB_UNKNOWN);
	assert_int_equal(k.nlookup, 0); /* no descriptor: no dump */
	/* the descriptor is there, its socket not among the listeners (a
	 * unix socket, or another network namespace's) */
	k.fds[k.nfd++] = (struct fake_fd){ 100, 3, 7004 };
	assert_int_equal(listener_resolve(l, &e), -ENOENT);
	assert_int_equal(k.nlookup, 1);
	k.inode_err = -EACCES;
	assert_int_equal(listener_resolve(l, &e), -EACCES);
	assert_int_equal(listener_stats(l)->gone, 2);
	assert_int_equal(listener_stats(l)->denied, 1);
	assert_int_equal(listener_stats(l)->resolved, 0);
	listener_free(l);
}

/* A UDP bind on 127.0.0.2 port 0: the kernel's port; a bind of unknown
 * protocol found among UDP sockets is UDP; a TCP bind is not looked up
 * (its listen() will be), nor a failed call, nor one without its fd. */
static void test_bind_udp(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct sockdiag_sock *s =
		fake_sock(&k, 200, 4, 8001, IPPROTO_UDP, SOCKDIAG_CLOSE);
	const uint8_t lo2[4] = { 127, 0, 0, 2 };
	struct aev e;

	(void)state;
	memcpy(s->laddr, lo2, 4);
	s->lport = 40001;
	ev_init(&e, AEV_BIND, 200, 4);
	e.net.proto = SOCKTAB_UDP;
	e.have_sa = true;
	e.sa.family = AREC_AF_INET;
	memcpy(e.sa.addr, lo2, 4);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.lport, 40001);
	assert_memory_equal(e.net.laddr, lo2, 4);
	assert_int_equal(k.protocol[0], IPPROTO_UDP);
	assert_int_equal(k.states[0], SOCKDIAG_ST(SOCKDIAG_CLOSE));

	ev_init(&e, AEV_BIND, 200, 4);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.proto, SOCKTAB_UDP);

	ev_init(&e, AEV_BIND, 200, 4);
	e.net.proto = SOCKTAB_TCP;
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	ev_init(&e, AEV_BIND, 200, 4);
	e.have_sa = true;
	e.sa.family = AREC_AF_UNIX;
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	ev_init(&e, AEV_BIND, 200, 4);
	e.success = 0;
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	ev_init(&e, AEV_LISTEN, 200, 4);
	e.have_fd = false;
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	ev_init(&e, AEV_CONNECT, 200, 4);
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	assert_int_equal(k.nlookup, 2);
	assert_false(e.net.have_local);
	listener_free(l);
}

/* A listen() on a socket socket() said is not TCP (SCTP: "other") is not
 * looked up among TCP listeners; a connected UDP socket (ESTABLISHED) is
 * not a UDP service. */
static void test_not_a_listener(void **state)
{
	struct fake k = { 0 };
	struct listener *l = fake_new(&k);
	struct aev e;

	(void)state;
	fake_sock(&k, 300, 3, 9001, IPPROTO_UDP, SOCKDIAG_ESTABLISHED);
	ev_init(&e, AEV_LISTEN, 300, 3);
	e.net.proto = SOCKTAB_OTHER;
	assert_int_equal(listener_resolve(l, &e), -EINVAL);
	ev_init(&e, AEV_BIND, 300, 3);
	assert_int_equal(listener_resolve(l, &e), -ENOENT);
	assert_false(e.net.have_local);
	assert_int_equal(e.net.proto, SOCKTAB_UNKNOWN);
	listener_free(l);
}

/* The kernel ops, against a real socket of this process: a port-0
 * listener on 127.0.0.1 and a UDP socket bound to 127.0.0.1 port 0. */
static void test_kernel(void **state)
{
	struct listener *l = listener_new(NULL);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct aev e;

	(void)state;
	assert_non_null(l);
	assert_true(t >= 0 && u >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(t, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(listen(t, 1), 0);
	assert_int_equal(getsockname(t, (struct sockaddr *)&sin, &len), 0);
	ev_init(&e, AEV_LISTEN, (uint64_t)getpid(), (uint64_t)t);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.lport, ntohs(sin.sin_port));
	assert_int_equal(e.net.lfamily, AREC_AF_INET);
	assert_int_equal(e.net.laddr[0], 127);
	assert_int_equal(e.net.laddr[3], 1);

	sin.sin_port = 0;
	len = sizeof(sin);
	assert_int_equal(bind(u, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(getsockname(u, (struct sockaddr *)&sin, &len), 0);
	ev_init(&e, AEV_BIND, (uint64_t)getpid(), (uint64_t)u);
	assert_int_equal(listener_resolve(l, &e), 0);
	assert_int_equal(e.net.proto, SOCKTAB_UDP);
	assert_int_equal(e.net.lport, ntohs(sin.sin_port));
	/* the TCP listener is not a UDP service */
	ev_init(&e, AEV_BIND, (uint64_t)getpid(), (uint64_t)t);
	assert_int_equal(listener_resolve(l, &e), -ENOENT);
	close(t);
	close(u);
	listener_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_port0),
		cmocka_unit_test(test_listen_forked_inet6),
		cmocka_unit_test(test_listen_stale_hint),
		cmocka_unit_test(test_listen_not_found),
		cmocka_unit_test(test_bind_udp),
		cmocka_unit_test(test_not_a_listener),
		cmocka_unit_test(test_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

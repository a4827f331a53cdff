/* Unit tests for the listen collector (exporter/collectors/listen.c) through
 * the dispatcher and its enrich stage: audit.log text in, audit_listen
 * label sets out, from the records alone and with a fake kernel. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "exporter/agg.h"
#include "exporter/listener.h"
#include "metrics/budget.h"
#include "netlink/arec.h"
#include "netlink/asm.h"
#include "tests/unit/feed.h"

static struct agg *a;
static struct asm_ctx *as;

/* The fake kernel: every listed (pid, fd) is a socket of that inode in
 * the given protocol and state, with its local address. */
struct fake_sock {
	uint64_t pid, fd;
	struct sockdiag_sock s;
};
static struct fake_sock socks[4];
static unsigned nsock;

static int fake_inode_of(void *arg, uint64_t pid, uint64_t fd, uint64_t *inode)
{
	(void)arg;
	for (unsigned i = 0; i < nsock; i++)
		if (socks[i].pid == pid && socks[i].fd == fd) {
			*inode = socks[i].s.inode;
			return 0;
		}
	return -ENOENT;
}

static int fake_lookup(void *arg, int protocol, unsigned states, uint64_t inode,
		       uint16_t lport, struct sockdiag_sock *out)
{
	(void)arg;
	for (unsigned i = 0; i < nsock; i++) {
		const struct sockdiag_sock *s = &socks[i].s;

		if (s->inode == inode && s->protocol == protocol &&
		    (states & SOCKDIAG_ST(s->state)) &&
		    (!lport || lport == s->lport)) {
			*out = *s;
			return 0;
		}
	}
	return -ENOENT;
}

static const struct listener_ops fake_ops = { fake_inode_of, fake_lookup,
					      NULL };

static void fake_sock(uint64_t pid, uint64_t fd, int family, int protocol,
		      uint8_t state, const char *addr, uint16_t port)
{
	struct fake_sock *f = &socks[nsock++];

	memset(f, 0, sizeof(*f));
	f->pid = pid;
	f->fd = fd;
	f->s.family = (uint8_t)family;
	f->s.protocol = (uint8_t)protocol;
	f->s.state = state;
	f->s.lport = port;
	f->s.inode = 1000 + nsock;
	assert_int_equal(inet_pton(family, addr, f->s.laddr), 1);
}

static void start(bool resolve, unsigned cap)
{
	struct agg_config cfg = { .series_cap = cap,
				  .nwindows = 1,
				  .windows_ms = { 300000 },
				  .host_p = 14,
				  .proc_p = 12,
				  .sketch_key = { 1, 2 },
				  .table_key = { 3, 4 },
				  .bind_slots = 64,
				  .resolve = resolve,
				  .listener_ops = resolve ? &fake_ops : NULL };
	static struct agg_config keep;

	keep = cfg; /* the aggregator keeps a pointer to its config */
	nsock = 0;
	a = agg_new(&keep);
	as = asm_new(NULL, agg_event, a);
	assert_non_null(a);
	assert_non_null(as);
}

static int teardown(void **state)
{
	(void)state;
	asm_free(as);
	agg_free(a);
	a = NULL;
	as = NULL;
	return 0;
}

static void feed(const char *text)
{
	feed_text(a, as, text);
}

/* The value of the audit_listen series whose label text is exactly l;
 * UINT64_MAX when absent. */
static uint64_t value(const char *l)
{
	struct fam_rows rows = { 0 };
	uint64_t v = UINT64_MAX;

	fam_rows(agg_fam_named(a, "audit_listen"), &rows);
	for (size_t i = 0; i < rows.n; i++)
		if (rows.row[i].labels_len == strlen(l) &&
		    !memcmp(rows.row[i].labels, l, rows.row[i].labels_len))
			v = rows.row[i].count;
	fam_rows_free(&rows);
	return v;
}

/* The listen series of process srv (uid 5, auid 1001) with these family,
 * protocol, address and port. */
static uint64_t lsn(const char *family, const char *proto, const char *addr,
		    const char *port)
{
	char l[256];

	snprintf(l, sizeof(l),
		 "comm=\"srv\",uid=\"5\",auid=\"1001\",family=\"%s\","
		 "protocol=\"%s\",address=\"%s\",port=\"%s\"",
		 family, proto, addr, port);
	return value(l);
}

static size_t nseries(void)
{
	return fam_count(agg_fam_named(a, "audit_listen"));
}

/* x86_64: socket 41, bind 49, listen 50. pid as given, uid 5, auid 1001;
 * a2 is 0x10 (a bind's address length) but for socket(), where it is the
 * protocol (0). */
#define SYSP3(serial, pid, nr, succ, exit, a0, a1, a2)                         \
	"type=SYSCALL msg=audit(100.000:" serial "): arch=c000003e "           \
	"syscall=" nr " success=" succ " exit=" exit " a0=" a0 " a1=" a1       \
	" a2=" a2 " a3=0 items=0 ppid=1 pid=" pid " auid=1001 uid=5 gid=0 "    \
	"comm=\"srv\" exe=\"/bin/srv\" key=(null)\n"
#define SYSP(serial, pid, nr, succ, exit, a0, a1)                              \
	SYSP3(serial, pid, nr, succ, exit, a0, a1, "10")
#define EOE(serial) "type=EOE msg=audit(100.000:" serial "): \n"
#define SA(serial, hex)                                                        \
	"type=SOCKADDR msg=audit(100.000:" serial "): saddr=" hex "\n"
/* socket(AF_INET or AF_INET6 (a0 2 or a), type a1) = fd */
#define SOCKET(serial, fam, type, fd)                                          \
	SYSP3(serial, "77", "41", "yes", fd, fam, type, "0") EOE(serial)
/* bind(fd, inet addr (8 hex digits), port (4 hex digits)) */
#define BIND4(serial, pid, fd, port, addr)                                     \
	SYSP(serial, pid, "49", "yes", "0", fd, "0")                           \
	SA(serial, "0200" port addr "0000000000000000") EOE(serial)
#define LISTEN(serial, pid, fd)                                                \
	SYSP(serial, pid, "50", "yes", "0", fd, "80") EOE(serial)

/* From the records alone (a replay): the bind says address and port, the
 * socket() the protocol; a listen without its bind is unknown; a UDP bind
 * is a service, a TCP bind and a bind of unknown protocol are not. */
static void test_records_only(void **state)
{
	(void)state;
	start(false, 1000);
	/* tcp 127.0.0.1:8080 */
	feed(SOCKET("1", "2", "1", "3")
		     BIND4("2", "77", "3", "1F90", "7F000001")
			     LISTEN("3", "77", "3"));
	/* no socket() seen: protocol unknown; 0.0.0.0:22 */
	feed(BIND4("4", "77", "4", "0016", "00000000") LISTEN("5", "77", "4"));
	/* a port-0 bind on 127.0.0.1: the records say 0 */
	feed(SOCKET("6", "2", "801", "5") /* SOCK_STREAM | SOCK_NONBLOCK */
	     BIND4("7", "77", "5", "0000", "7F000001") LISTEN("8", "77", "5"));
	/* listening in another process than the bind's: unknown */
	feed(LISTEN("9", "78", "3"));
	/* a UDP service on 127.0.0.2 port 0; a UDP bind without socket():
	 * not known to be UDP */
	feed(SOCKET("10", "2", "2", "6")
		     BIND4("11", "77", "6", "0000", "7F000002")
			     BIND4("12", "77", "7", "0035", "7F000003"));
	/* a failed listen is not counted */
	feed(SYSP("13", "77", "50", "no", "-98", "3", "80") EOE("13"));

	assert_int_equal(lsn("inet", "tcp", "127.0.0.1", "8080"), 1);
	assert_int_equal(lsn("inet", "unknown", "0.0.0.0", "22"), 1);
	assert_int_equal(lsn("inet", "tcp", "127.0.0.1", "0"), 1);
	assert_int_equal(lsn("unknown", "unknown", "unknown", "unknown"), 1);
	assert_int_equal(lsn("inet", "udp", "127.0.0.2", "0"), 1);
	assert_int_equal(nseries(), 5);
}

/* inet6 addresses as inet_ntop writes them, and a unix socket's empty
 * address and port. */
static void test_inet6_and_unix(void **state)
{
	(void)state;
	start(false, 1000);
	/* [::]:443 and [::1]:8443 */
	feed(SYSP("1", "77", "49", "yes", "0", "3", "0") SA("1", "0A0001BB00000"
								 "0000000000000"
								 "0000000000000"
								 "0"
								 "0000000000000"
								 "000") EOE("1")
		     LISTEN("2", "77", "3"));
	feed(SYSP("3", "77", "49", "yes", "0", "4", "0") SA("3", "0A0020FB00000"
								 "0000000000000"
								 "0000000000000"
								 "0"
								 "0000000100000"
								 "000") EOE("3")
		     LISTEN("4", "77", "4"));
	/* unix "/run/s" */
	feed(SYSP("5", "77", "49", "yes", "0", "5", "0") SA("5", "01002F72756E2"
								 "F7300")
		     EOE("5") LISTEN("6", "77", "5"));
	assert_int_equal(lsn("inet6", "unknown", "::", "443"), 1);
	assert_int_equal(lsn("inet6", "unknown", "::1", "8443"), 1);
	assert_int_equal(lsn("unix", "unknown", "", ""), 1);
	assert_int_equal(nseries(), 3);
}

/* pid 77's TCP socket 5 bound to 127.0.0.1 port 0 and listening: in the
 * kernel on port 32911 */
#define PORT0_LISTEN                                                           \
	SOCKET("1", "2", "1", "5")                                             \
	BIND4("2", "77", "5", "0000", "7F000001") LISTEN("3", "77", "5")
static void port0_listener(void)
{
	fake_sock(77, 5, AF_INET, IPPROTO_TCP, SOCKDIAG_LISTEN, "127.0.0.1",
		  32911);
}

/* With the kernel asked (a fake one): the real port of a port-0 bind, a
 * listen in a forked child, a UDP bind whose socket() was not seen; where
 * the kernel has nothing the records still speak. */
static void test_resolved(void **state)
{
	(void)state;
	start(true, 1000);
	port0_listener();
	fake_sock(78, 3, AF_INET, IPPROTO_TCP, SOCKDIAG_LISTEN, "0.0.0.0",
		  8080);
	fake_sock(77, 7, AF_INET, IPPROTO_UDP, SOCKDIAG_CLOSE, "127.0.0.3", 53);
	fake_sock(77, 8, AF_INET6, IPPROTO_TCP, SOCKDIAG_LISTEN, "::1", 9000);
	feed(PORT0_LISTEN);
	/* bound in pid 77 (not seen), listening in its child 78 */
	feed(LISTEN("4", "78", "3"));
	/* the UDP bind of unknown protocol: the kernel says UDP */
	feed(BIND4("5", "77", "7", "0035", "7F000003"));
	/* a TCP socket's bind is never a service, even asked */
	feed(SOCKET("6", "2", "1", "9")
		     BIND4("7", "77", "9", "1F90", "7F000001"));
	/* gone before its record was read: what the bind said (fds below
	 * 10: a0 is hex, exit decimal) */
	feed(SOCKET("8", "2", "1", "4")
		     BIND4("9", "77", "4", "0000", "7F000001")
			     LISTEN("10", "77", "4"));
	/* nothing anywhere */
	feed(LISTEN("11", "79", "3"));
	/* the kernel's family, even when no bind said one */
	feed(LISTEN("12", "77", "8"));

	assert_int_equal(lsn("inet", "tcp", "127.0.0.1", "32911"), 1);
	assert_int_equal(lsn("inet", "tcp", "0.0.0.0", "8080"), 1);
	assert_int_equal(lsn("inet", "udp", "127.0.0.3", "53"), 1);
	assert_int_equal(lsn("inet", "tcp", "127.0.0.1", "0"), 1);
	assert_int_equal(lsn("unknown", "unknown", "unknown", "unknown"), 1);
	assert_int_equal(lsn("inet6", "tcp", "::1", "9000"), 1);
	assert_int_equal(nseries(), 6);
}

/* The same events without --audit.resolve-sockets: the kernel is never
 * asked, so the fake's answers cannot show. */
static void test_resolve_off(void **state)
{
	(void)state;
	start(false, 1000);
	port0_listener();
	feed(PORT0_LISTEN);
	assert_int_equal(lsn("inet", "tcp", "127.0.0.1", "0"), 1);
	assert_int_equal(nseries(), 1);
}

/* One process's 1,000 services on 1,000 addresses and ports under a cap
 * of 10, TCP listeners and UDP services in turn: address and port fold
 * with comm, uid and auid; family and protocol do not, so the folded
 * label sets are one per protocol and the sums stay exact. */
static uint64_t folded(const char *proto)
{
	char l[256];

	snprintf(l, sizeof(l),
		 "comm=\"__other__\",uid=\"__other__\",auid=\"__other__\","
		 "family=\"inet\",protocol=\"%s\",address=\"__other__\","
		 "port=\"__other__\"",
		 proto);
	return value(l);
}

static void test_folding(void **state)
{
	char ev[2048];

	(void)state;
	start(false, 10);
	for (unsigned i = 0; i < 1000; i++) {
		unsigned s = 3 * i + 1;

		/* socket(AF_INET, i odd: SOCK_DGRAM, else SOCK_STREAM) = 3,
		 * bind(3, 127.0.0.<i % 256>:1024 + i), listen(3) if TCP */
		snprintf(ev, sizeof(ev),
			 SYSP3("%u", "77", "41", "yes", "3", "2", "%u", "0")
				 EOE("%u") SYSP("%u", "77", "49", "yes", "0",
						"3", "0")
					 SA("%u", "0200%04X7F0000%02X"
						  "0000000000000000") EOE("%u"),
			 s, i % 2 ? 2 : 1, s, s + 1, s + 1, 1024 + i, i % 256,
			 s + 1);
		feed(ev);
		if (i % 2 == 0) {
			snprintf(ev, sizeof(ev),
				 SYSP("%u", "77", "50", "yes", "0", "3", "80")
					 EOE("%u"),
				 s + 2, s + 2);
			feed(ev);
		}
	}
	assert_int_equal(nseries(), 12);
	assert_int_equal(lsn("inet", "tcp", "127.0.0.0", "1024"), 1);
	assert_int_equal(lsn("inet", "udp", "127.0.0.1", "1025"), 1);
	assert_int_equal(folded("tcp"), 495);
	assert_int_equal(folded("udp"), 495);
	assert_int_equal(fam_folded(agg_fam_named(a, "audit_listen")), 990);
}

/* The resolver's fixed memory (its sock_diag buffer) is in the budget's
 * tables beside the socket table, and given back with the aggregator. */
static void test_budget(void **state)
{
	struct budget *b = budget_new(64u << 20);
	struct agg_config cfg = { .series_cap = 10,
				  .nwindows = 1,
				  .windows_ms = { 300000 },
				  .host_p = 14,
				  .proc_p = 12,
				  .bind_slots = 64,
				  .budget = b };
	struct agg *x;
	size_t off;

	(void)state;
	assert_non_null(b);
	x = agg_new(&cfg);
	assert_non_null(x);
	off = budget_used(b, BUDGET_TABLES);
	agg_free(x);
	assert_int_equal(budget_used(b, BUDGET_TABLES), 0);
	cfg.resolve = true;
	cfg.listener_ops = &fake_ops;
	x = agg_new(&cfg);
	assert_non_null(x);
	assert_true(listener_bytes() > 32768);
	assert_int_equal(budget_used(b, BUDGET_TABLES), off + listener_bytes());
	agg_free(x);
	assert_int_equal(budget_used(b, BUDGET_TABLES), 0);
	budget_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_records_only, teardown),
		cmocka_unit_test_teardown(test_inet6_and_unix, teardown),
		cmocka_unit_test_teardown(test_resolved, teardown),
		cmocka_unit_test_teardown(test_resolve_off, teardown),
		cmocka_unit_test_teardown(test_folding, teardown),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

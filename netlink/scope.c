/*
 * scope: where an inet/inet6 destination points, as one label value.
 *
 * "Unique outbound destinations" means little while it counts loopback,
 * the resolver on 127.0.0.53 and the cloud's metadata service beside the
 * internet. Each destination address is given one class, from IANA's
 * IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs
 * each entry cites), checked against the 2025 registries:
 *
 *   class          IPv4                         IPv6
 *   unspecified    0.0.0.0/32                   ::/128
 *   loopback       127.0.0.0/8                  ::1/128
 *   link-local     169.254.0.0/16               fe80::/10
 *   metadata       169.254.169.254/32           fd00:ec2::254/128
 *   private        10.0.0.0/8, 172.16.0.0/12,   fc00::/7 (ULA),
 *                  192.168.0.0/16               fec0::/10 (site-local,
 *                                               deprecated), 64:ff9b:1::/48
 *                                               (local-use NAT64)
 *   cgnat          100.64.0.0/10 (RFC 6598)
 *   documentation  192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32,
 *                  203.0.113.0/24               3fff::/20 (RFC 9637)
 *   multicast      224.0.0.0/4                  ff00::/8
 *   broadcast      255.255.255.255/32
 *   reserved       0.0.0.0/8 ("this network"),  2001::/23 (IETF protocol
 *                  192.0.0.0/24 (IETF protocol  assignments, benchmarking
 *                  assignments), 192.88.99.0/24 2001:2::/48, old ORCHID),
 *                  (6to4 relay anycast,         everything outside 2000::/3
 *                  deprecated), 198.18.0.0/15   and the classes above (IANA
 *                  (benchmarking), 240.0.0.0/4  unassigned: ::/96 IPv4-
 *                                               compatible, 100::/64
 *                                               discard, 5f00::/16 SRv6)
 *   public         everything else, and the registries' globally reachable
 *                  exceptions inside reserved blocks: 192.0.0.9/32 (PCP
 *                  anycast), 192.0.0.10/32 (TURN anycast), 2001::/32
 *                  (Teredo), 2001:1::1-3/128 (PCP, TURN, DNS-SD SRP
 *                  anycast), 2001:3::/32 (AMT), 2001:4:112::/48 (AS112),
 *                  2001:20::/28 (ORCHIDv2), 2001:30::/28 (DRIP)
 *
 * Addresses that carry an IPv4 address:
 *   ::ffff:0:0/96 (IPv4-mapped): the socket talks IPv4; classified as the
 *     embedded address, so ::ffff:127.0.0.1 is loopback.
 *   64:ff9b::/96 (NAT64) and 2002::/16 (6to4): the packet goes to a
 *     translator or relay, which only forwards to global IPv4 (RFC 6052
 *     3.1, RFC 3056 2); public when the embedded address is public,
 *     reserved otherwise (such an address is not a valid destination).
 *
 * metadata is its own class because connecting there is a question on
 * its own (credentials live there); 169.254.169.254 is where AWS, GCP,
 * Azure, OCI and OpenStack serve it, fd00:ec2::254 is AWS's IPv6 one.
 * Other providers' addresses (169.254.170.2 ECS task metadata, Azure's
 * 168.63.129.16, Alibaba's 100.100.100.200) keep their ordinary class.
 *
 * Invariant: each table is ordered so that a more specific prefix comes
 * before any prefix that contains it; the first match wins. The last IPv6
 * entry is ::/0, so every address has a class. Lookup is a linear scan of
 * at most 30 entries, a few dozen byte comparisons: cheaper than the
 * hash of the unique-destination sketch it sits beside. No state, no
 * allocation.
 */
#include "netlink/scope.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

enum scope_embed {
	SCOPE_EMBED_NONE,
	SCOPE_EMBED_MAPPED, /* IPv4 at bytes 12..15, classified as is */
	SCOPE_EMBED_RELAY, /* IPv4 at bytes `at`..: public or reserved */
};

struct scope_net {
	uint8_t addr[16];
	uint8_t len; /* prefix length in bits */
	uint8_t cls; /* enum scope */
	uint8_t embed; /* enum scope_embed */
	uint8_t at; /* byte offset of the embedded IPv4 address */
};

static const struct scope_net scope_v4[] = {
	{ { 255, 255, 255, 255 }, 32, SCOPE_BROADCAST, 0, 0 },
	{ { 169, 254, 169, 254 }, 32, SCOPE_METADATA, 0, 0 },
	{ { 192, 0, 0, 9 }, 32, SCOPE_PUBLIC, 0, 0 },
	{ { 192, 0, 0, 10 }, 32, SCOPE_PUBLIC, 0, 0 },
	{ { 0, 0, 0, 0 }, 32, SCOPE_UNSPECIFIED, 0, 0 },
	{ { 0, 0, 0, 0 }, 8, SCOPE_RESERVED, 0, 0 },
	{ { 10, 0, 0, 0 }, 8, SCOPE_PRIVATE, 0, 0 },
	{ { 100, 64, 0, 0 }, 10, SCOPE_CGNAT, 0, 0 },
	{ { 127, 0, 0, 0 }, 8, SCOPE_LOOPBACK, 0, 0 },
	{ { 169, 254, 0, 0 }, 16, SCOPE_LINK_LOCAL, 0, 0 },
	{ { 172, 16, 0, 0 }, 12, SCOPE_PRIVATE, 0, 0 },
	{ { 192, 0, 0, 0 }, 24, SCOPE_RESERVED, 0, 0 },
	{ { 192, 0, 2, 0 }, 24, SCOPE_DOCUMENTATION, 0, 0 },
	{ { 192, 88, 99, 0 }, 24, SCOPE_RESERVED, 0, 0 },
	{ { 192, 168, 0, 0 }, 16, SCOPE_PRIVATE, 0, 0 },
	{ { 198, 18, 0, 0 }, 15, SCOPE_RESERVED, 0, 0 },
	{ { 198, 51, 100, 0 }, 24, SCOPE_DOCUMENTATION, 0, 0 },
	{ { 203, 0, 113, 0 }, 24, SCOPE_DOCUMENTATION, 0, 0 },
	{ { 224, 0, 0, 0 }, 4, SCOPE_MULTICAST, 0, 0 },
	{ { 240, 0, 0, 0 }, 4, SCOPE_RESERVED, 0, 0 },
};

static const struct scope_net scope_v6[] = {
	{ { 0 }, 128, SCOPE_UNSPECIFIED, 0, 0 },
	{ { [15] = 1 }, 128, SCOPE_LOOPBACK, 0, 0 },
	{ { [10] = 0xff, [11] = 0xff }, 96, 0, SCOPE_EMBED_MAPPED, 12 },
	{ { 0, 0x64, 0xff, 0x9b }, 96, 0, SCOPE_EMBED_RELAY, 12 },
	{ { 0, 0x64, 0xff, 0x9b, 0, 1 }, 48, SCOPE_PRIVATE, 0, 0 },
	{ { 0x20, 0x01, 0, 1, [15] = 1 }, 128, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 1, [15] = 2 }, 128, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 1, [15] = 3 }, 128, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 3 }, 32, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 4, 0x01, 0x12 }, 48, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 0x20 }, 28, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 0x30 }, 28, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01, 0, 0 }, 32, SCOPE_PUBLIC, 0, 0 },
	{ { 0x20, 0x01 }, 23, SCOPE_RESERVED, 0, 0 },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, SCOPE_DOCUMENTATION, 0, 0 },
	{ { 0x20, 0x02 }, 16, 0, SCOPE_EMBED_RELAY, 2 },
	{ { 0x3f, 0xff }, 20, SCOPE_DOCUMENTATION, 0, 0 },
	{ { 0x20 }, 3, SCOPE_PUBLIC, 0, 0 },
	{ { 0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 },
	  128,
	  SCOPE_METADATA,
	  0,
	  0 },
	{ { 0xfc }, 7, SCOPE_PRIVATE, 0, 0 },
	{ { 0xfe, 0x80 }, 10, SCOPE_LINK_LOCAL, 0, 0 },
	{ { 0xfe, 0xc0 }, 10, SCOPE_PRIVATE, 0, 0 },
	{ { 0xff }, 8, SCOPE_MULTICAST, 0, 0 },
	{ { 0 }, 0, SCOPE_RESERVED, 0, 0 },
};

static const char *const scope_names[SCOPE_N] = {
	[SCOPE_UNKNOWN] = "unknown",
	[SCOPE_UNSPECIFIED] = "unspecified",
	[SCOPE_LOOPBACK] = "loopback",
	[SCOPE_LINK_LOCAL] = "link-local",
	[SCOPE_METADATA] = "metadata",
	[SCOPE_PRIVATE] = "private",
	[SCOPE_CGNAT] = "cgnat",
	[SCOPE_DOCUMENTATION] = "documentation",
	[SCOPE_MULTICAST] = "multicast",
	[SCOPE_BROADCAST] = "broadcast",
	[SCOPE_RESERVED] = "reserved",
	[SCOPE_PUBLIC] = "public",
};

const char *scope_name(enum scope s)
{
	if ((unsigned)s >= SCOPE_N)
		return "unknown";
	return scope_names[s];
}

static bool scope_match(const uint8_t *a, const struct scope_net *n)
{
	unsigned full = n->len / 8, rest = n->len % 8;

	if (memcmp(a, n->addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (a[full] & mask) == (n->addr[full] & mask);
}

static const struct scope_net *scope_find(const struct scope_net *t, size_t n,
					  const uint8_t *a)
{
	for (size_t i = 0; i < n; i++)
		if (scope_match(a, &t[i]))
			return &t[i];
	return NULL;
}

static enum scope scope_v4_of(const uint8_t *a)
{
	const struct scope_net *n =
		scope_find(scope_v4, sizeof(scope_v4) / sizeof(*scope_v4), a);

	return n ? (enum scope)n->cls : SCOPE_PUBLIC;
}

enum scope scope_classify(int family, const uint8_t *addr)
{
	if (!addr)
		return SCOPE_UNKNOWN;
	if (family == AF_INET)
		return scope_v4_of(addr);
	if (family != AF_INET6)
		return SCOPE_UNKNOWN;

	/* ::/0 is the table's last entry: n is never NULL */
	const struct scope_net *n = scope_find(
		scope_v6, sizeof(scope_v6) / sizeof(*scope_v6), addr);
	enum scope v4;

	switch (n->embed) {
	case SCOPE_EMBED_MAPPED:
		return scope_v4_of(addr + n->at);
	case SCOPE_EMBED_RELAY:
		v4 = scope_v4_of(addr + n->at);
		return v4 == SCOPE_PUBLIC ? SCOPE_PUBLIC : SCOPE_RESERVED;
	default:
		return (enum scope)n->cls;
	}
}

enum scope scope_of_sockaddr(const struct arec_sockaddr *sa)
{
	if (!sa)
		return SCOPE_UNKNOWN;
	if (sa->family == AREC_AF_INET)
		return scope_classify(AF_INET, sa->addr);
	if (sa->family == AREC_AF_INET6)
		return scope_classify(AF_INET6, sa->addr);
	return SCOPE_UNKNOWN;
}

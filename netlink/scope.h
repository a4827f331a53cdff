/* scope: where an inet/inet6 address points. See scope.c. */
#ifndef AE_NETLINK_SCOPE_H
#define AE_NETLINK_SCOPE_H

#include <stdint.h>

#include "netlink/arec.h"

/* The classes, as label values (scope_name). Order is not part of the
 * contract; the names are. */
enum scope {
	SCOPE_UNKNOWN, /* not inet/inet6 */
	SCOPE_UNSPECIFIED, /* 0.0.0.0, :: */
	SCOPE_LOOPBACK,
	SCOPE_LINK_LOCAL,
	SCOPE_METADATA, /* cloud instance metadata: 169.254.169.254 ... */
	SCOPE_PRIVATE, /* RFC 1918, ULA, local-use NAT64 */
	SCOPE_CGNAT, /* 100.64.0.0/10, shared address space */
	SCOPE_DOCUMENTATION, /* TEST-NET-1/2/3, 2001:db8::/32, 3fff::/20 */
	SCOPE_MULTICAST,
	SCOPE_BROADCAST, /* 255.255.255.255 */
	SCOPE_RESERVED, /* not globally reachable, none of the above */
	SCOPE_PUBLIC,
};
#define SCOPE_N (SCOPE_PUBLIC + 1)

/* The label value of a class: "loopback", "link-local", ...; "unknown"
 * for a value out of range. Static storage. */
const char *scope_name(enum scope s);

/* addr holds 4 bytes (AF_INET) or 16 bytes (AF_INET6) in network byte
 * order. SCOPE_UNKNOWN for any other family or a NULL addr. Pure; any
 * thread. */
enum scope scope_classify(int family, const uint8_t *addr);

/* The same for a decoded SOCKADDR record: inet and inet6 are classified,
 * every other family is SCOPE_UNKNOWN. */
enum scope scope_of_sockaddr(const struct arec_sockaddr *sa);

#endif

/* compute/ssrf.h: which peer addresses a check may connect to (the SSRF guard).
 *
 * The engine judges the address a socket is about to connect to (libcurl's
 * CURLOPT_OPENSOCKETFUNCTION), after DNS and on every redirect hop, so neither DNS
 * rebinding nor a redirect to an internal host gets round it. Pure functions, no state.
 *
 * Refused IPv4: 0/8 (this network), 10/8, 172.16/12, 192.168/16 (RFC 1918), 100.64/10
 * (CGNAT), 127/8 (loopback), 169.254/16 (link-local, cloud metadata), 192.0.0/24 (IETF),
 * 192.0.2/24, 198.51.100/24, 203.0.113/24 (documentation), 198.18/15 (benchmarking),
 * 224/4 (multicast), 240/4 (reserved, includes the broadcast 255.255.255.255).
 * Refused IPv6: ::/96 (unspecified, loopback, IPv4-compatible), 100::/64 (discard),
 * 2001::/32 (Teredo), 2001:db8::/32 (documentation), fc00::/7 (unique local),
 * fe80::/10 (link-local), fec0::/10 (site-local), ff00::/8 (multicast), 64:ff9b:1::/48
 * (local NAT64). Judged by the embedded IPv4 address: ::ffff:0:0/96 (IPv4-mapped),
 * ::ffff:0:0:0/96 (IPv4-translated), 64:ff9b::/96 (NAT64), 2002::/16 (6to4). */
#ifndef URLMON_SSRF_H
#define URLMON_SSRF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* a: IPv4 address in host byte order. */
bool ssrf_v4_blocked(uint32_t a);
/* a: the 16 bytes of an IPv6 address in network order. */
bool ssrf_v6_blocked(const unsigned char a[16]);
/* Any sockaddr: AF_INET and AF_INET6 are judged; every other family is refused. */
bool ssrf_sockaddr_blocked(const struct sockaddr *sa, socklen_t len);

#endif

/* compute/ssrf.c: the SSRF guard's address tables. See ssrf.h. */
#include "ssrf.h"

#include <netinet/in.h>
#include <string.h>

#include "common.h"

struct v4_net {
    uint32_t net;
    unsigned bits;
};

static const struct v4_net v4_refused[] = {
    {0x00000000u, 8},  /* 0.0.0.0/8 this network, unspecified */
    {0x0a000000u, 8},  /* 10.0.0.0/8 */
    {0x64400000u, 10}, /* 100.64.0.0/10 CGNAT */
    {0x7f000000u, 8},  /* 127.0.0.0/8 loopback */
    {0xa9fe0000u, 16}, /* 169.254.0.0/16 link-local, 169.254.169.254 metadata */
    {0xac100000u, 12}, /* 172.16.0.0/12 */
    {0xc0000000u, 24}, /* 192.0.0.0/24 IETF protocol assignments */
    {0xc0000200u, 24}, /* 192.0.2.0/24 TEST-NET-1 */
    {0xc0a80000u, 16}, /* 192.168.0.0/16 */
    {0xc6120000u, 15}, /* 198.18.0.0/15 benchmarking */
    {0xc6336400u, 24}, /* 198.51.100.0/24 TEST-NET-2 */
    {0xcb007100u, 24}, /* 203.0.113.0/24 TEST-NET-3 */
    {0xe0000000u, 4},  /* 224.0.0.0/4 multicast */
    {0xf0000000u, 4},  /* 240.0.0.0/4 reserved + 255.255.255.255 broadcast */
};

struct v6_net {
    unsigned char net[16];
    unsigned bits;
    int embedded_v4; /* >= 0: judge the IPv4 address at this byte offset instead */
};

static const struct v6_net v6_nets[] = {
    /* embedded IPv4 first: they are more specific than ::/96 below */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, 12},       /* ::ffff:0:0/96 */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96, 12},       /* ::ffff:0:0:0/96 */
    {{0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96, 12}, /* 64:ff9b::/96 */
    {{0x20, 0x02}, 16, 2},                                      /* 2002::/16 6to4 */
    {{0}, 96, -1},                                              /* ::/96, ::1, :: */
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, -1},             /* 64:ff9b:1::/48 */
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64, -1},                   /* 100::/64 */
    {{0x20, 0x01, 0x00, 0x00}, 32, -1},                         /* 2001::/32 Teredo */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, -1},                         /* 2001:db8::/32 */
    {{0xfc}, 7, -1},                                            /* fc00::/7 */
    {{0xfe, 0x80}, 10, -1},                                     /* fe80::/10 */
    {{0xfe, 0xc0}, 10, -1},                                     /* fec0::/10 */
    {{0xff}, 8, -1},                                            /* ff00::/8 */
};

bool ssrf_v4_blocked(uint32_t a)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(v4_refused); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_refused[i].bits);
        if ((a & mask) == v4_refused[i].net)
            return true;
    }
    return false;
}

static bool v6_in(const unsigned char a[16], const struct v6_net *n)
{
    unsigned full = n->bits / 8, rest = n->bits % 8;

    if (memcmp(a, n->net, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a[full] ^ n->net[full]) & (0xffu << (8 - rest))) == 0;
}

static uint32_t v4_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

bool ssrf_v6_blocked(const unsigned char a[16])
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(v6_nets); i++) {
        if (!v6_in(a, &v6_nets[i]))
            continue;
        if (v6_nets[i].embedded_v4 >= 0)
            return ssrf_v4_blocked(v4_at(a + v6_nets[i].embedded_v4));
        return true;
    }
    return false;
}

bool ssrf_sockaddr_blocked(const struct sockaddr *sa, socklen_t len)
{
    if (!sa)
        return true;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return ssrf_v4_blocked(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return ssrf_v6_blocked(in6->sin6_addr.s6_addr);
    }
    return true;
}

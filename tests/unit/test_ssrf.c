/* Unit tests: the SSRF guard's address classification (compute/ssrf.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "common.h"
#include "ssrf.h"

static const struct {
    const char *addr;
    bool blocked;
} cases[] = {
    /* IPv4 refused */
    {"127.0.0.1", true},
    {"127.255.255.254", true},
    {"10.0.0.1", true},
    {"10.255.255.255", true},
    {"172.16.0.1", true},
    {"172.31.255.255", true},
    {"192.168.1.1", true},
    {"169.254.169.254", true}, /* cloud metadata */
    {"169.254.0.1", true},
    {"100.64.0.1", true},
    {"100.127.255.255", true},
    {"0.0.0.0", true},
    {"0.1.2.3", true},
    {"224.0.0.1", true},
    {"239.255.255.250", true},
    {"240.0.0.1", true},
    {"255.255.255.255", true},
    {"192.0.0.8", true},
    {"192.0.2.10", true},
    {"198.18.0.1", true},
    {"198.19.255.255", true},
    {"198.51.100.7", true},
    {"203.0.113.99", true},
    /* IPv4 allowed, including the neighbours of refused ranges */
    {"8.8.8.8", false},
    {"1.1.1.1", false},
    {"93.184.216.34", false},
    {"172.15.255.255", false},
    {"172.32.0.0", false},
    {"100.63.255.255", false},
    {"100.128.0.0", false},
    {"11.0.0.1", false},
    {"126.255.255.255", false},
    {"128.0.0.1", false},
    {"169.253.255.255", false},
    {"169.255.0.1", false},
    {"192.167.255.255", false},
    {"192.169.0.0", false},
    {"198.17.255.255", false},
    {"198.20.0.0", false},
    {"223.255.255.255", false},
    {"192.0.1.1", false},
    /* IPv6 refused */
    {"::1", true},
    {"::", true},
    {"::127.0.0.1", true}, /* IPv4-compatible */
    {"fc00::1", true},
    {"fd12:3456:789a::1", true},
    {"fe80::1", true},
    {"febf:ffff::1", true},
    {"fec0::1", true},
    {"ff02::1", true},
    {"ff05::1:3", true},
    {"2001:db8::1", true},
    {"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, /* Teredo */
    {"100::1", true},
    {"64:ff9b:1::a00:1", true},
    /* embedded IPv4 judged by the IPv4 address */
    {"::ffff:127.0.0.1", true},
    {"::ffff:10.1.2.3", true},
    {"::ffff:169.254.169.254", true},
    {"::ffff:8.8.8.8", false},
    {"::ffff:0:127.0.0.1", true},
    {"::ffff:0:8.8.4.4", false},
    {"64:ff9b::7f00:1", true},   /* NAT64 of 127.0.0.1 */
    {"64:ff9b::c0a8:101", true}, /* NAT64 of 192.168.1.1 */
    {"64:ff9b::808:808", false}, /* NAT64 of 8.8.8.8 */
    {"2002:7f00:1::1", true},    /* 6to4 of 127.0.0.1 */
    {"2002:a00:1::", true},      /* 6to4 of 10.0.0.1 */
    {"2002:808:808::1", false},  /* 6to4 of 8.8.8.8 */
    /* IPv6 allowed */
    {"2606:4700:4700::1111", false},
    {"2a00:1450:4001:82a::200e", false},
    {"2001:4860:4860::8888", false},
    {"fbff:ffff::1", false},
    {"fe00::1", false},
    {"fc0::1", false},
    {"::2:0:0:1", false},
};

static void test_table(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        bool got;

        memset(&in4, 0, sizeof(in4));
        memset(&in6, 0, sizeof(in6));
        if (inet_pton(AF_INET, cases[i].addr, &in4.sin_addr) == 1) {
            in4.sin_family = AF_INET;
            got = ssrf_sockaddr_blocked((struct sockaddr *)&in4, sizeof(in4));
            if (got != ssrf_v4_blocked(ntohl(in4.sin_addr.s_addr)))
                fail_msg("%s: sockaddr and v4 answers differ", cases[i].addr);
        } else {
            if (inet_pton(AF_INET6, cases[i].addr, &in6.sin6_addr) != 1)
                fail_msg("bad test address %s", cases[i].addr);
            in6.sin6_family = AF_INET6;
            got = ssrf_sockaddr_blocked((struct sockaddr *)&in6, sizeof(in6));
            if (got != ssrf_v6_blocked(in6.sin6_addr.s6_addr))
                fail_msg("%s: sockaddr and v6 answers differ", cases[i].addr);
        }
        if (got != cases[i].blocked)
            fail_msg("%s: expected %s, got %s", cases[i].addr,
                     cases[i].blocked ? "blocked" : "allowed", got ? "blocked" : "allowed");
    }
    assert_true(ARRAY_LEN(cases) >= 30);
}

static void test_odd_sockaddrs(void **state)
{
    struct sockaddr_in in4;
    struct sockaddr sa;

    memset(&in4, 0, sizeof(in4));
    in4.sin_family = AF_INET;
    in4.sin_addr.s_addr = htonl(0x08080808);
    assert_false(ssrf_sockaddr_blocked((struct sockaddr *)&in4, sizeof(in4)));
    /* truncated length, unknown family, NULL: refused */
    assert_true(ssrf_sockaddr_blocked((struct sockaddr *)&in4, 4));
    memset(&sa, 0, sizeof(sa));
    sa.sa_family = AF_UNIX;
    assert_true(ssrf_sockaddr_blocked(&sa, sizeof(sa)));
    assert_true(ssrf_sockaddr_blocked(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_odd_sockaddrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

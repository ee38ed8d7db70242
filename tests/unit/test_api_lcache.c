/* Unit tests: the in-process answer cache (api/lcache.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lcache.h"

static void test_put_get_expire(void **state)
{
    struct lcache *lc = NULL;
    const char *b;
    size_t len = 0;

    (void)state;
    assert_int_equal(lcache_open(8, 4096, &lc), 0);
    assert_null(lcache_get(lc, "k", 0, &len));
    assert_int_equal(lcache_put(lc, "k", "[1]", 3, 100, 0), 0);
    b = lcache_get(lc, "k", 99, &len);
    assert_non_null(b);
    assert_int_equal(len, 3);
    assert_memory_equal(b, "[1]", 3);
    /* replaced, not duplicated */
    assert_int_equal(lcache_put(lc, "k", "[22]", 4, 200, 0), 0);
    assert_int_equal(lcache_count(lc), 1);
    assert_int_equal(lcache_bytes(lc), 1 + 4);
    b = lcache_get(lc, "k", 150, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(b, "[22]", 4);
    /* expiry is exclusive and drops the entry */
    assert_null(lcache_get(lc, "k", 200, &len));
    assert_int_equal(lcache_count(lc), 0);
    assert_int_equal(lcache_bytes(lc), 0);
    /* already expired: refused */
    assert_int_equal(lcache_put(lc, "k", "[]", 2, 10, 10), 1);
    assert_int_equal(lcache_count(lc), 0);
    lcache_free(&lc);
    assert_null(lc);
    lcache_free(&lc);
}

static void test_drop_clear(void **state)
{
    struct lcache *lc = NULL;
    size_t len;

    (void)state;
    assert_int_equal(lcache_open(8, 4096, &lc), 0);
    assert_int_equal(lcache_put(lc, "urlmon:cache:/a", "{}", 2, 1000, 0), 0);
    assert_int_equal(lcache_put(lc, "urlmon:cache:/b", "{}", 2, 1000, 0), 0);
    /* the key of an invalidation message is not NUL-terminated */
    lcache_drop(lc, "urlmon:cache:/a----", 15);
    assert_null(lcache_get(lc, "urlmon:cache:/a", 1, &len));
    assert_non_null(lcache_get(lc, "urlmon:cache:/b", 1, &len));
    lcache_drop(lc, "urlmon:cache:/", 14); /* a prefix is not the key */
    assert_int_equal(lcache_count(lc), 1);
    lcache_drop(lc, "nothing", 7);
    lcache_clear(lc);
    assert_int_equal(lcache_count(lc), 0);
    assert_int_equal(lcache_bytes(lc), 0);
    assert_null(lcache_get(lc, "urlmon:cache:/b", 1, &len));
    lcache_free(&lc);
}

static void test_bounds(void **state)
{
    struct lcache *lc = NULL;
    char key[32];
    size_t len, i;

    (void)state;
    assert_int_equal(lcache_open(4, 64, &lc), 0);
    for (i = 0; i < 4; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_int_equal(lcache_put(lc, key, "0123456789", 10, i == 0 ? 5 : 100, 0), 0);
    }
    /* full by count: refused while nothing has expired */
    assert_int_equal(lcache_put(lc, "k4", "x", 1, 100, 1), 1);
    assert_null(lcache_get(lc, "k4", 1, &len));
    /* once k0 expired it makes room */
    assert_int_equal(lcache_put(lc, "k4", "x", 1, 100, 5), 0);
    assert_int_equal(lcache_count(lc), 4);
    assert_null(lcache_get(lc, "k0", 5, &len));
    /* over the byte bound: refused, alone or together */
    lcache_clear(lc);
    {
        char big[80];
        memset(big, 'a', sizeof(big));
        assert_int_equal(lcache_put(lc, "big", big, sizeof(big), 100, 0), 1);
        assert_int_equal(lcache_put(lc, "a", big, 40, 100, 0), 0);
        assert_int_equal(lcache_put(lc, "b", big, 40, 100, 0), 1);
        assert_int_equal(lcache_bytes(lc), 41);
    }
    /* many keys in few buckets: every one stays reachable */
    lcache_free(&lc);
    assert_int_equal(lcache_open(1000, 1 << 20, &lc), 0);
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "urlmon:cache:/%zu", i);
        assert_int_equal(lcache_put(lc, key, key, strlen(key), 100, 0), 0);
    }
    for (i = 0; i < 1000; i += 3) {
        snprintf(key, sizeof(key), "urlmon:cache:/%zu", i);
        lcache_drop(lc, key, strlen(key));
    }
    for (i = 0; i < 1000; i++) {
        const char *b;
        snprintf(key, sizeof(key), "urlmon:cache:/%zu", i);
        b = lcache_get(lc, key, 1, &len);
        if (i % 3 == 0) {
            assert_null(b);
        } else {
            assert_non_null(b);
            assert_int_equal(len, strlen(key));
            assert_memory_equal(b, key, len);
        }
    }
    lcache_free(&lc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_expire),
        cmocka_unit_test(test_drop_clear),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

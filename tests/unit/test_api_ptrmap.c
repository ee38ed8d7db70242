/* Unit tests: pointer map (api/ptrmap.c) and single-flight table (api/flight.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>

#include "flight.h"
#include "ptrmap.h"
#include "u64map.h"

#define N 1000

static void test_put_get_del(void **state)
{
    struct ptrmap *m = NULL;
    static char keys[N];
    size_t i;

    assert_int_equal(ptrmap_open(N, &m), 0);
    for (i = 0; i < N; i++)
        assert_int_equal(ptrmap_put(m, &keys[i], (void *)(uintptr_t)(i + 1)), 0);
    assert_int_equal(ptrmap_count(m), N);
    /* full: a new key is refused, an existing one is replaced */
    assert_int_equal(ptrmap_put(m, &i, (void *)1), -1);
    assert_int_equal(ptrmap_put(m, &keys[3], (void *)77), 0);
    assert_ptr_equal(ptrmap_get(m, &keys[3]), (void *)77);
    assert_int_equal(ptrmap_put(m, &keys[3], (void *)4), 0);
    /* delete every other key; the rest must stay reachable (backward shift) */
    for (i = 0; i < N; i += 2)
        assert_ptr_equal(ptrmap_del(m, &keys[i]), (void *)(uintptr_t)(i + 1));
    assert_int_equal(ptrmap_count(m), N / 2);
    for (i = 0; i < N; i++)
        assert_ptr_equal(ptrmap_get(m, &keys[i]), i % 2 ? (void *)(uintptr_t)(i + 1) : NULL);
    assert_null(ptrmap_del(m, &keys[0]));
    assert_null(ptrmap_get(m, NULL));
    assert_int_equal(ptrmap_put(m, NULL, (void *)1), -1);
    ptrmap_free(&m);
    assert_null(m);
    ptrmap_free(&m);
}

/* Random churn against a reference array, as connections come and go. */
static void test_churn(void **state)
{
    struct ptrmap *m = NULL;
    static char keys[64];
    void *ref[64] = {0};
    unsigned seed = 7, i;

    assert_int_equal(ptrmap_open(64, &m), 0);
    for (i = 0; i < 200000; i++) {
        unsigned k;
        seed = seed * 1103515245u + 12345u;
        k = (seed >> 8) % 64;
        if (ref[k]) {
            assert_ptr_equal(ptrmap_del(m, &keys[k]), ref[k]);
            ref[k] = NULL;
        } else {
            ref[k] = (void *)(uintptr_t)(i + 1);
            assert_int_equal(ptrmap_put(m, &keys[k], ref[k]), 0);
        }
        if (i % 1000 == 0) {
            unsigned j;
            for (j = 0; j < 64; j++)
                assert_ptr_equal(ptrmap_get(m, &keys[j]), ref[j]);
        }
    }
    ptrmap_free(&m);
}

static void test_flight(void **state)
{
    struct flight *f = NULL;
    int a, b;

    assert_int_equal(flight_open(&f), 0);
    assert_null(flight_get(f, "urlmon:cache:/urls/summary"));
    assert_int_equal(flight_put(f, "urlmon:cache:/urls/summary", &a), 0);
    assert_int_equal(flight_put(f, "urlmon:cache:/urls/top/success/hour", &b), 0);
    assert_ptr_equal(flight_get(f, "urlmon:cache:/urls/summary"), &a);
    assert_ptr_equal(flight_get(f, "urlmon:cache:/urls/top/success/hour"), &b);
    assert_int_equal(flight_count(f), 2);
    flight_del(f, "urlmon:cache:/urls/summary");
    flight_del(f, "not there");
    assert_null(flight_get(f, "urlmon:cache:/urls/summary"));
    assert_int_equal(flight_count(f), 1);
    flight_free(&f); /* frees what is left */
    assert_null(f);
}

static void test_u64map(void **state)
{
    struct u64map *m = NULL;
    size_t i, idx;

    assert_int_equal(u64map_open(4, &m), 0);
    /* dense indexes in insertion order, growing past the initial size */
    for (i = 0; i < 100000; i++) {
        assert_int_equal(u64map_index(m, (uint64_t)i * 7919 + 1, &idx), 0);
        assert_int_equal(idx, i);
    }
    assert_int_equal(u64map_count(m), 100000);
    assert_int_equal(u64map_index(m, 7919 * 5 + 1, &idx), 0);
    assert_int_equal(idx, 5);
    assert_int_equal(u64map_count(m), 100000);
    assert_int_equal(u64map_find(m, 7919 * 99999 + 1, &idx), 0);
    assert_int_equal(idx, 99999);
    assert_int_equal(u64map_find(m, 2, &idx), -1);
    assert_int_equal(u64map_index(m, 0, &idx), -1);
    assert_int_equal(u64map_find(m, UINT64_MAX, &idx), -1);
    assert_int_equal(u64map_index(m, UINT64_MAX, &idx), 0);
    assert_int_equal(idx, 100000);
    u64map_clear(m);
    assert_int_equal(u64map_count(m), 0);
    assert_int_equal(u64map_find(m, 1, &idx), -1);
    assert_int_equal(u64map_index(m, 42, &idx), 0);
    assert_int_equal(idx, 0);
    u64map_free(&m);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_put_get_del),
                                       cmocka_unit_test(test_churn), cmocka_unit_test(test_flight),
                                       cmocka_unit_test(test_u64map)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

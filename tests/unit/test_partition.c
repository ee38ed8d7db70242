/* Unit: the partition clause of compute/partition.c (one partition per UTC day, each
 * bounded by the next day's midnight, p_future last). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "partition.h"

#define DEC7 INT64_C(1796601600) /* 2026-12-07 00:00:00 UTC */

static void test_clause(void **state)
{
    char buf[1024];

    (void)state;
    /* any time of the first and the last day; month and year ends roll over */
    assert_int_equal(
        partition_clause(DEC7 + 3600, DEC7 + 2 * PARTITION_DAY_S + 86399, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "PARTITION BY RANGE COLUMNS(checked_at) ("
                             "PARTITION p20261207 VALUES LESS THAN ('2026-12-08 00:00:00'), "
                             "PARTITION p20261208 VALUES LESS THAN ('2026-12-09 00:00:00'), "
                             "PARTITION p20261209 VALUES LESS THAN ('2026-12-10 00:00:00'), "
                             "PARTITION p_future VALUES LESS THAN (MAXVALUE))");
    assert_int_equal(partition_clause(DEC7 + 24 * PARTITION_DAY_S, DEC7 + 25 * PARTITION_DAY_S, buf,
                                      sizeof(buf)),
                     0);
    assert_non_null(strstr(buf, "PARTITION p20261231 VALUES LESS THAN ('2027-01-01 00:00:00'), "
                                "PARTITION p20270101 VALUES LESS THAN ('2027-01-02 00:00:00')"));
}

static void test_clause_too_long(void **state)
{
    char buf[100];

    (void)state;
    assert_int_equal(partition_clause(DEC7, DEC7 + 10 * PARTITION_DAY_S, buf, sizeof(buf)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clause),
        cmocka_unit_test(test_clause_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

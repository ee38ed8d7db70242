/* Unit tests: spool files (compute/spool.c): round trip, order, damage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define TEST_INSTALL_ID "0123456789abcdef0123456789abcdef"

static char dir[256];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/urlmon-test-spool-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char **paths = NULL, err[256], sub[300];
    size_t n = 0, i;

    if (spool_list(dir, &paths, &n, err, sizeof(err)) == 0)
        for (i = 0; i < n; i++)
            unlink(paths[i]);
    spool_list_free(&paths, n);
    snprintf(sub, sizeof(sub), "%s/x/y", dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/x", dir);
    rmdir(sub);
    rmdir(dir);
    return 0;
}

static void fill(struct check_result *r, size_t n)
{
    size_t i;
    memset(r, 0, n * sizeof(*r));
    for (i = 0; i < n; i++) {
        r[i].url_id = 1000 + i;
        r[i].checked_at_ms = 1700000000000LL + (int64_t)i;
        r[i].success = i % 2 == 0;
        r[i].http_status = i % 3 ? 200 : 0;
        r[i].response_ms = (uint32_t)i * 7;
        r[i].dns_ms = CHECK_MS_UNKNOWN;
        r[i].connect_ms = 3;
        r[i].tls_ms = CHECK_MS_UNKNOWN;
        r[i].ttfb_ms = 9;
        r[i].error = i % 2 ? CHECK_ERR_TIMEOUT : CHECK_OK;
        r[i].regex_matched = (int)(i % 3) - 1;
        snprintf(r[i].message, sizeof(r[i].message), "%s", i % 2 ? "timed out 'x' \xc3\xa9" : "");
        memset(r[i].regex_match, 'm', i % 300 < 255 ? i % 300 : 255);
    }
}

static void test_round_trip_and_order(void **state)
{
    struct check_result rows[300];
    struct spool_batch b;
    char err[256] = "", **paths = NULL, sub[300];
    size_t n = 0;

    fill(rows, 300);
    snprintf(sub, sizeof(sub), "%s/x/y", dir); /* created on demand */
    assert_int_equal(spool_write(sub, TEST_INSTALL_ID, 12, 3, rows, 300, err, sizeof(err)), 0);
    assert_int_equal(spool_write(sub, TEST_INSTALL_ID, 12, 10, rows, 1, err, sizeof(err)), 0);
    assert_int_equal(spool_write(sub, TEST_INSTALL_ID, 9, 99, rows + 5, 2, err, sizeof(err)), 0);
    assert_int_equal(spool_list(sub, &paths, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 3);
    assert_non_null(strstr(paths[0], "batch-00000000000000000009-0000000099.spool"));
    assert_non_null(strstr(paths[1], "-0000000003.spool"));
    assert_non_null(strstr(paths[2], "-0000000010.spool"));
    assert_int_equal(spool_read(paths[1], &b, err, sizeof(err)), 0);
    assert_int_equal(b.run_id, 12);
    assert_int_equal(b.batch_no, 3);
    assert_int_equal(b.n, 300);
    assert_memory_equal(b.rows, rows, sizeof(rows));
    spool_batch_clear(&b);
    assert_null(b.rows);
    assert_int_equal(spool_read(paths[0], &b, err, sizeof(err)), 0);
    assert_int_equal(b.run_id, 9);
    assert_int_equal(b.n, 2);
    assert_memory_equal(b.rows, rows + 5, 2 * sizeof(rows[0]));
    spool_batch_clear(&b);
    unlink(paths[0]);
    unlink(paths[1]);
    unlink(paths[2]);
    spool_list_free(&paths, n);
    assert_null(paths);
}

static void test_damaged_file_refused(void **state)
{
    struct check_result rows[4];
    struct spool_batch b;
    char err[256] = "", **paths = NULL;
    size_t n = 0;
    FILE *f;

    fill(rows, 4);
    assert_int_equal(spool_write(dir, TEST_INSTALL_ID, 1, 1, rows, 4, err, sizeof(err)), 0);
    assert_int_equal(spool_list(dir, &paths, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    /* cut the file short: the trailer is gone */
    assert_int_equal(truncate(paths[0], 40), 0);
    assert_int_equal(spool_read(paths[0], &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "damaged"));
    /* garbage with a valid trailer */
    f = fopen(paths[0], "wb");
    assert_non_null(f);
    fputs("URLMONSPOOL2 but then nothing sensible at all END\n", f);
    fclose(f);
    assert_int_equal(spool_read(paths[0], &b, err, sizeof(err)), -1);
    assert_null(b.rows);
    /* a file of the first format names no database: never replayed */
    f = fopen(paths[0], "wb");
    assert_non_null(f);
    fputs("URLMONSPOOL1 rows of some database END\n", f);
    fclose(f);
    assert_int_equal(spool_read(paths[0], &b, err, sizeof(err)), SPOOL_FOREIGN);
    assert_non_null(strstr(err, "no database identity"));
    assert_null(b.rows);
    unlink(paths[0]);
    spool_list_free(&paths, n);
}

/* The install id travels with the batch. */
static void test_identity_kept(void **state)
{
    struct check_result rows[2];
    struct spool_batch b;
    char err[256] = "", **paths = NULL;
    size_t n = 0;

    fill(rows, 2);
    assert_int_equal(spool_write(dir, TEST_INSTALL_ID, 3, 4, rows, 2, err, sizeof(err)), 0);
    assert_int_equal(spool_list(dir, &paths, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(spool_read(paths[0], &b, err, sizeof(err)), 0);
    assert_string_equal(b.install_id, TEST_INSTALL_ID);
    spool_batch_clear(&b);
    unlink(paths[0]);
    spool_list_free(&paths, n);
}

/* SPOOL_DIR empty: a private folder per database, never shared with others
 * (issue 12 item 5: /tmp/urlmon-spool was shared by every instance of a host). */
static void test_default_dir(void **state)
{
    char a[512], b2[512], top[512], err[256] = "";
    struct stat st;

    assert_int_equal(setenv("TMPDIR", dir, 1), 0);
    unsetenv("STATE_DIRECTORY");
    assert_int_equal(spool_default_dir("127.0.0.1", 3306, "urlmon", a, sizeof(a), err, sizeof(err)),
                     0);
    snprintf(top, sizeof(top), "%s/urlmon-%lu", dir, (unsigned long)geteuid());
    assert_int_equal(strncmp(a, top, strlen(top)), 0);
    assert_non_null(strstr(a, "spool-127.0.0.1-3306-urlmon"));
    assert_int_equal(stat(a, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(top, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* another database: another folder */
    assert_int_equal(
        spool_default_dir("db.example", 3307, "urlmon", b2, sizeof(b2), err, sizeof(err)), 0);
    assert_string_not_equal(a, b2);
    /* a parent others may write to is refused */
    assert_int_equal(chmod(top, 0777), 0);
    assert_int_equal(spool_default_dir("127.0.0.1", 3306, "urlmon", a, sizeof(a), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not a private directory"));
    assert_int_equal(chmod(top, 0700), 0);
    rmdir(b2);
    assert_int_equal(spool_default_dir("127.0.0.1", 3306, "urlmon", a, sizeof(a), err, sizeof(err)),
                     0);
    rmdir(a);
    rmdir(top);
    unsetenv("TMPDIR");
}

static void test_missing_dir_is_empty(void **state)
{
    char err[256] = "", **paths = NULL;
    size_t n = 7;

    assert_int_equal(spool_list("/tmp/urlmon-no-such-spool-dir", &paths, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(paths);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_order), cmocka_unit_test(test_damaged_file_refused),
        cmocka_unit_test(test_identity_kept),        cmocka_unit_test(test_default_dir),
        cmocka_unit_test(test_missing_dir_is_empty),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

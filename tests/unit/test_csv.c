/* Unit tests: the RFC 4180 reader (compute/csv.c), table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* Serialises what the reader makes of data: "LINE:[f][f];" per record, "LINE!;" per
 * malformed record, "F;" for a fatal error. */
static void render(struct csv *c, char *out, size_t cap)
{
    size_t used = 0, i, len;
    int r;

    out[0] = '\0';
    while ((r = csv_next(c)) != CSV_END) {
        if (r == CSV_RECORD) {
            used += (size_t)snprintf(out + used, cap - used, "%lu:", csv_line(c));
            for (i = 0; i < csv_nfields(c); i++) {
                const char *f = csv_field(c, i, &len);
                used += (size_t)snprintf(out + used, cap - used, "[%.*s]", (int)len, f);
            }
            used += (size_t)snprintf(out + used, cap - used, ";");
        } else if (r == CSV_BAD)
            used += (size_t)snprintf(out + used, cap - used, "%lu!;", csv_line(c));
        else {
            used += (size_t)snprintf(out + used, cap - used, "F;");
            break;
        }
        assert_true(used < cap);
    }
}

struct case_ {
    const char *name;
    const char *in;
    const char *want;
    const char *err; /* substring of the last error message, or NULL */
};

static const struct case_ cases[] = {
    {"simple", "name,url\na,b\n", "1:[name][url];2:[a][b];", NULL},
    {"no final newline", "a,b", "1:[a][b];", NULL},
    {"CRLF", "a,b\r\nc,d\r\n", "1:[a][b];2:[c][d];", NULL},
    {"lone CR", "a,b\rc,d\r", "1:[a][b];2:[c][d];", NULL},
    {"BOM", "\xEF\xBB\xBFname,url\n", "1:[name][url];", NULL},
    {"BOM only", "\xEF\xBB\xBF", "", NULL},
    {"empty input", "", "", NULL},
    {"not a BOM", "\xEF\xBB,x\n", "1:[\xEF\xBB][x];", NULL},
    {"quoted comma", "\"a,b\",c\n", "1:[a,b][c];", NULL},
    {"escaped quotes", "\"say \"\"hi\"\"\",x\n", "1:[say \"hi\"][x];", NULL},
    {"only a quote", "\"\"\"\"\n", "1:[\"];", NULL},
    {"embedded LF", "\"line1\nline2\",x\nnext,y\n", "1:[line1\nline2][x];3:[next][y];", NULL},
    {"embedded CRLF", "\"a\r\nb\",c\r\nd,e\r\n", "1:[a\r\nb][c];3:[d][e];", NULL},
    {"empty lines", "\n\na,b\n\n\nc,d\n\n", "3:[a][b];6:[c][d];", NULL},
    {"empty CRLF lines", "\r\na,b\r\n\r\n", "2:[a][b];", NULL},
    {"empty fields", ",,\na,\n", "1:[][][];2:[a][];", NULL},
    {"quoted empty", "\"\",x\n", "1:[][x];", NULL},
    {"missing columns", "a,b,c\nd\n", "1:[a][b][c];2:[d];", NULL},
    {"extra columns", "a,b\nc,d,e,f\n", "1:[a][b];2:[c][d][e][f];", NULL},
    {"spaces kept", " a , b \n", "1:[ a ][ b ];", NULL},
    {"UTF-8 kept", "\xC3\xA9t\xC3\xA9,\xE2\x82\xAC\n", "1:[\xC3\xA9t\xC3\xA9][\xE2\x82\xAC];",
     NULL},
    {"unterminated quote", "a,b\nc,\"open\nmore\n", "1:[a][b];2!;",
     "line 2: unterminated quoted field"},
    {"unterminated at once", "\"", "1!;", "line 1: unterminated"},
    {"text after closing quote", "\"a\"x,b\nc,d\n", "1!;2:[c][d];",
     "line 1: unexpected character after a closing quote"},
    {"quote in unquoted field", "ab\"c,d\ne,f\n", "1!;2:[e][f];", "line 1: a quote inside"},
    {"error after multi-line record", "\"a\nb\",c\n\"x\"y\nz\n", "1:[a\nb][c];3!;4:[z];",
     "line 3:"},
    {"quoted then CRLF", "\"a\"\r\n\"b\"\r\n", "1:[a];2:[b];", NULL},
};

static void test_table(void **state)
{
    static char out[4096];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct csv *c = NULL;
        assert_int_equal(csv_open_mem(cases[i].in, strlen(cases[i].in), &c), 0);
        render(c, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case \"%s\": got \"%s\", want \"%s\"", cases[i].name, out, cases[i].want);
        if (cases[i].err && !strstr(csv_errstr(c), cases[i].err))
            fail_msg("case \"%s\": error \"%s\" lacks \"%s\"", cases[i].name, csv_errstr(c),
                     cases[i].err);
        csv_free(&c);
        assert_null(c);
    }
}

static void test_nul_inside_field(void **state)
{
    static const char in[] = "a\0b,c\n";
    struct csv *c = NULL;
    size_t len;
    const char *f;

    assert_int_equal(csv_open_mem(in, sizeof(in) - 1, &c), 0);
    assert_int_equal(csv_next(c), CSV_RECORD);
    f = csv_field(c, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(f, "a\0b", 3);
    assert_null(csv_field(c, 5, &len));
    assert_int_equal(len, 0);
    assert_int_equal(csv_next(c), CSV_END);
    assert_int_equal(csv_next(c), CSV_END); /* stays at the end */
    csv_free(&c);
}

static void test_overlong_record_skipped(void **state)
{
    size_t big = CSV_MAX_RECORD + 10;
    char *in = malloc(big + 32);
    struct csv *c = NULL;

    assert_non_null(in);
    in[0] = '"';
    memset(in + 1, 'x', big);
    memcpy(in + 1 + big, "\",y\nok,1\n", 10);
    assert_int_equal(csv_open_mem(in, strlen(in), &c), 0);
    assert_int_equal(csv_next(c), CSV_BAD);
    assert_non_null(strstr(csv_errstr(c), "line 1: record longer than"));
    assert_int_equal(csv_next(c), CSV_RECORD);
    assert_int_equal(csv_line(c), 2);
    assert_string_equal(csv_field(c, 0, NULL), "ok");
    csv_free(&c);
    free(in);
}

static void test_too_many_fields(void **state)
{
    char *in = malloc(CSV_MAX_FIELDS * 2 + 16);
    struct csv *c = NULL;
    size_t i;

    assert_non_null(in);
    for (i = 0; i < CSV_MAX_FIELDS + 1; i++)
        memcpy(in + 2 * i, "x,", 2);
    memcpy(in + 2 * (CSV_MAX_FIELDS + 1), "x\na\n", 5);
    assert_int_equal(csv_open_mem(in, strlen(in), &c), 0);
    assert_int_equal(csv_next(c), CSV_BAD);
    assert_int_equal(csv_next(c), CSV_RECORD);
    assert_string_equal(csv_field(c, 0, NULL), "a");
    csv_free(&c);
    free(in);
}

/* The file reader across its 64 KiB chunks, with a BOM and CRLF. */
static void test_file_reader(void **state)
{
    FILE *f = tmpfile();
    struct csv *c = NULL;
    unsigned long n = 0;
    int i, r;

    assert_non_null(f);
    fputs("\xEF\xBB\xBFname,url\r\n", f);
    for (i = 0; i < 20000; i++)
        fprintf(f, "\"row %d, \"\"quoted\"\"\",http://h%d.example/\r\n", i, i);
    rewind(f);
    assert_int_equal(csv_open_file(f, &c), 0);
    assert_int_equal(csv_next(c), CSV_RECORD);
    assert_string_equal(csv_field(c, 0, NULL), "name");
    while ((r = csv_next(c)) == CSV_RECORD) {
        char want[64];
        snprintf(want, sizeof(want), "row %lu, \"quoted\"", n);
        assert_string_equal(csv_field(c, 0, NULL), want);
        assert_int_equal(csv_line(c), n + 2);
        n++;
    }
    assert_int_equal(r, CSV_END);
    assert_int_equal(n, 20000);
    csv_free(&c);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_nul_inside_field),
        cmocka_unit_test(test_overlong_record_skipped),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_file_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

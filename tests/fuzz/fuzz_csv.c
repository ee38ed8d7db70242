/* libFuzzer: the RFC 4180 reader behind --data-path (compute/csv.c), fed to the same
 * entry validator the loader uses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "qentry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv *c = NULL;
    struct qentry e;
    char err[256];
    unsigned long last_line = 0;
    int st;

    if (csv_open_mem((const char *)data, size, &c) != 0)
        return 0;
    while ((st = csv_next(c)) != CSV_END && st != CSV_FATAL) {
        if (st == CSV_BAD) {
            if (strncmp(csv_errstr(c), "line ", 5) != 0)
                abort();
            continue;
        }
        /* Lines never go backwards; every field is inside the record bound. */
        if (csv_line(c) < last_line || csv_nfields(c) == 0 || csv_nfields(c) > CSV_MAX_FIELDS)
            abort();
        last_line = csv_line(c);
        if (csv_nfields(c) >= 2) {
            size_t nlen, ulen, rlen = 0;
            const char *name = csv_field(c, 0, &nlen);
            const char *url = csv_field(c, 1, &ulen);
            const char *rx = csv_nfields(c) >= 3 ? csv_field(c, 2, &rlen) : NULL;
            if (nlen > CSV_MAX_RECORD || ulen > CSV_MAX_RECORD)
                abort();
            (void)qentry_set(&e, name, nlen, url, ulen, rx, rlen, err, sizeof(err));
        }
    }
    csv_free(&c);
    return 0;
}

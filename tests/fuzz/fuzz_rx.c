/* libFuzzer: regex compile and bounded match (shared/rx.c). The first byte splits the
 * input into pattern and subject. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rx.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rx *rx = NULL;
    char err[256], match[64];
    size_t plen;

    if (size < 1)
        return 0;
    plen = data[0] % (size > 1 ? size : 1);
    if (plen > size - 1)
        plen = size - 1;
    if (rx_compile((const char *)data + 1, plen, &rx, err, sizeof(err)) != 0)
        return 0;
    (void)rx_match(rx, (const char *)data + 1 + plen, size - 1 - plen, match, sizeof(match), err,
                   sizeof(err));
    rx_free(&rx);
    return 0;
}

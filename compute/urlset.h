/* compute/urlset.h: the service mode's reload of the URL list into the agenda.
 *
 * Reads every active URL of the shard in pages of URLSET_PAGE,
 *   SELECT id, url, COALESCE(regex,''), check_interval FROM urls
 *   WHERE active = 1 AND id % N = K AND id > ? ORDER BY id LIMIT URLSET_PAGE
 * (keyset paging on the (active, id) index), and puts each on the agenda (agenda.h):
 * new URLs are added, a changed interval or regex is taken over, and URLs no longer
 * listed are dropped at the end. For the URLs of a page the agenda does not know yet,
 * their last check is read first, MAX(checked_at) per url_id over the page's id range
 * (a loose index scan of the checks key), so a restarted service (or another instance
 * taking the shard over) goes on at each URL's next tick instead of checking it again.
 * The agenda is locked (lock) only while a page is put on it. */
#ifndef URLMON_URLSET_H
#define URLMON_URLSET_H

#include <pthread.h>
#include <stdint.h>
#include <mysql.h>

#include "agenda.h"
#include "common.h"

#define URLSET_PAGE 5000

struct urlset_stats {
    uint64_t seen, added, changed, dropped;
};

/* What the shard's list looks like, in one row computed by the server: the count,
 * the largest id, the sums of the intervals and of CRC32(regex), the latest
 * updated_at. Between full reloads the service compares this signature (a scan on the
 * server, one row to the client) and re-reads the list only when it changed. */
struct urlset_sig {
    uint64_t v[5];
};
#define URLSET_FULL_SECONDS 60 /* a full reload at least this often anyway */

int urlset_signature(MYSQL *conn, unsigned shard_k, unsigned shard_n, struct urlset_sig *sig,
                     char *err, size_t errlen) MUSTCHECK;

/* A whole reload. On an error (err) the agenda keeps what it had: nothing is dropped. */
int urlset_reload(MYSQL *conn, unsigned shard_k, unsigned shard_n, struct agenda *ag,
                  pthread_mutex_t *lock, struct urlset_stats *st, char *err,
                  size_t errlen) MUSTCHECK;

#endif

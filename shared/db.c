/* shared/db.c: MySQL connection set-up and the connection pool. */
#include "db.h"

#include <errno.h>
#include <errmsg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

struct dbpool {
    const struct config *cfg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    MYSQL **idle;   /* connections ready to lend */
    unsigned nidle; /* how many of idle[] are set */
    unsigned nopen; /* idle + lent */
    unsigned max;
};

int db_library_init(void)
{
    return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

void db_library_end(void)
{
    mysql_library_end();
}

MYSQL *db_connect(const struct config *cfg, char *err, size_t errlen)
{
    MYSQL *conn = NULL;
    unsigned connect_timeout = 5, io_timeout = 30;
    bool no = false;

    if (!(conn = mysql_init(NULL))) {
        snprintf(err, errlen, "mysql_init: out of memory");
        goto fail;
    }
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(conn, MYSQL_OPT_RECONNECT, &no);
    mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_options(conn, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    if (cfg->db_tls) {
        /* TLS or no connection; the server certificate and host name are verified. */
        bool yes = true;
        mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &yes);
        mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
        if (cfg->db_tls_ca[0])
            mysql_options(conn, MYSQL_OPT_SSL_CA, cfg->db_tls_ca);
    }
    if (!mysql_real_connect(conn, cfg->db_address, cfg->db_user, cfg->db_password, cfg->db_name,
                            cfg->db_port, NULL, CLIENT_FOUND_ROWS)) {
        snprintf(err, errlen, "cannot connect to MySQL %s@%s:%u/%s: %s", cfg->db_user,
                 cfg->db_address, cfg->db_port, cfg->db_name, mysql_error(conn));
        goto fail;
    }
    if (cfg->db_tls && !mysql_get_ssl_cipher(conn)) {
        snprintf(err, errlen, "MySQL %s:%u: DB_TLS=1 but the connection is not encrypted",
                 cfg->db_address, cfg->db_port);
        goto fail;
    }
    return conn;
fail:
    if (conn)
        mysql_close(conn);
    return NULL;
}

void db_close(MYSQL **conn)
{
    if (conn && *conn) {
        mysql_close(*conn);
        *conn = NULL;
    }
}

int db_exec(MYSQL *conn, const char *sql, char *err, size_t errlen)
{
    if (mysql_real_query(conn, sql, strlen(sql)) != 0) {
        snprintf(err, errlen, "%s", mysql_error(conn));
        return -1;
    }
    /* Drain a result if the statement produced one. */
    MYSQL_RES *res = mysql_store_result(conn);
    if (res)
        mysql_free_result(res);
    return 0;
}

bool db_errno_is_connection(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
           e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == 1927 /* killed */ ||
           e == 1053 /* shutdown in progress */;
}

bool db_errno_is_transient(unsigned e)
{
    return db_errno_is_connection(e) || e == 1213 /* deadlock */ ||
           e == 1205 /* lock wait timeout */ || e == 1040 /* too many connections */ ||
           e == 1290 /* read-only (failover) */ || (e >= 2000 && e < 3000) /* client side */;
}

bool db_error_is_connection(MYSQL *conn)
{
    return db_errno_is_connection(mysql_errno(conn));
}

bool db_error_is_transient(MYSQL *conn)
{
    return db_errno_is_transient(mysql_errno(conn));
}

int dbpool_open(const struct config *cfg, struct dbpool **out, char *err, size_t errlen)
{
    struct dbpool *pool = NULL;
    unsigned i;

    *out = NULL;
    if (!(pool = calloc(1, sizeof(*pool))))
        goto oom;
    pool->cfg = cfg;
    pool->max = cfg->max_pool;
    if (!(pool->idle = calloc(pool->max, sizeof(*pool->idle))))
        goto oom;
    pthread_mutex_init(&pool->lock, NULL);
    if (clock_cond_init(&pool->cond) != 0) {
        pthread_mutex_destroy(&pool->lock);
        goto oom;
    }
    for (i = 0; i < cfg->min_pool; i++) {
        MYSQL *conn = db_connect(cfg, err, errlen);
        if (!conn) {
            dbpool_free(&pool);
            return -1;
        }
        pool->idle[pool->nidle++] = conn;
        pool->nopen++;
    }
    *out = pool;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    if (pool)
        free(pool->idle);
    free(pool);
    return -1;
}

void dbpool_free(struct dbpool **pool)
{
    struct dbpool *p;
    unsigned i;

    if (!pool || !*pool)
        return;
    p = *pool;
    for (i = 0; i < p->nidle; i++)
        mysql_close(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p->idle);
    free(p);
    *pool = NULL;
}

MYSQL *dbpool_acquire(struct dbpool *pool, unsigned timeout_ms, char *err, size_t errlen)
{
    MYSQL *conn = NULL;
    struct timespec deadline;
    int rc = 0;

    clock_deadline_ts(&deadline, timeout_ms);
    pthread_mutex_lock(&pool->lock);
    while (pool->nidle == 0 && pool->nopen >= pool->max && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&pool->cond, &pool->lock, &deadline);
    if (pool->nidle > 0) {
        conn = pool->idle[--pool->nidle];
        pthread_mutex_unlock(&pool->lock);
        /* A connection idle for long may have been dropped by the server. */
        if (mysql_ping(conn) == 0)
            return conn;
        mysql_close(conn);
        pthread_mutex_lock(&pool->lock);
        pool->nopen--;
        conn = NULL;
    }
    if (pool->nopen >= pool->max) {
        pthread_mutex_unlock(&pool->lock);
        snprintf(err, errlen, "no MySQL connection free within %u ms (MAX_POOL=%u)", timeout_ms,
                 pool->max);
        return NULL;
    }
    pool->nopen++; /* reserve the slot, connect without holding the lock */
    pthread_mutex_unlock(&pool->lock);
    conn = db_connect(pool->cfg, err, errlen);
    if (!conn) {
        pthread_mutex_lock(&pool->lock);
        pool->nopen--;
        pthread_cond_signal(&pool->cond);
        pthread_mutex_unlock(&pool->lock);
    }
    return conn;
}

void dbpool_release(struct dbpool *pool, MYSQL *conn, bool broken)
{
    if (!conn)
        return;
    pthread_mutex_lock(&pool->lock);
    if (broken || pool->nidle >= pool->max) {
        pool->nopen--;
        pthread_mutex_unlock(&pool->lock);
        mysql_close(conn);
        pthread_mutex_lock(&pool->lock);
    } else {
        pool->idle[pool->nidle++] = conn;
    }
    pthread_cond_signal(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
}

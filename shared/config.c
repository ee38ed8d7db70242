/* shared/config.c: the table of environment variables and its parser. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

enum ptype { P_STR, P_UINT, P_BOOL, P_LEVEL, P_FORMAT };

struct param {
    const char *name;
    enum ptype type;
    size_t offset;
    size_t size; /* P_STR: buffer size */
    const char *def;
    unsigned long min, max; /* P_UINT bounds; P_STR: min length */
    const char *help;
};

#define OFF(f) offsetof(struct config, f)
#define SZ(f) sizeof(((struct config *)0)->f)
#define STR(n, f, d, minlen, h)                                                                    \
    {                                                                                              \
        n, P_STR, OFF(f), SZ(f), d, minlen, 0, h                                                   \
    }
#define UINT(n, f, d, lo, hi, h)                                                                   \
    {                                                                                              \
        n, P_UINT, OFF(f), SZ(f), d, lo, hi, h                                                     \
    }

static const struct param params[] = {
    STR("DB_ADDRESS", db_address, "127.0.0.1", 1, "MySQL host name or address"),
    UINT("DB_PORT", db_port, "3306", 1, 65535, "MySQL port"),
    STR("DB_USER", db_user, "urlmon", 1, "MySQL user"),
    STR("DB_PASSWORD", db_password, "", 0, "MySQL password (never logged)"),
    STR("DB_NAME", db_name, "urlmon", 1, "MySQL database"),
    {"DB_TLS", P_BOOL, OFF(db_tls), SZ(db_tls), "0", 0, 1,
     "1 = connect to MySQL over TLS only and verify its certificate and host name (RDS with "
     "require_secure_transport)"},
    STR("DB_TLS_CA", db_tls_ca, "", 0,
        "PEM file of the CAs that sign the MySQL server certificate (the RDS bundle); empty = "
        "the system bundle"),
    UINT("MAX_POOL", max_pool, "10", 1, 256, "most MySQL connections the API pool holds"),
    UINT("MIN_POOL", min_pool, "1", 0, 256, "MySQL connections opened at start (<= MAX_POOL)"),
    STR("CACHE_ADDRESS", cache_address, "127.0.0.1", 1, "Redis host name or address"),
    UINT("CACHE_PORT", cache_port, "6379", 1, 65535, "Redis port"),
    STR("CACHE_PASSWORD", cache_password, "", 0,
        "Redis AUTH password, empty for none (never logged)"),
    UINT("CACHE_TTL", cache_ttl, "600", 1, 86400, "seconds a cached API answer lives"),
    {"CACHE_WARM", P_BOOL, OFF(cache_warm), SZ(cache_warm), "1", 0, 1,
     "1 = when the cached top lists and summary are invalidated (after each compute run) "
     "urlmon-api recomputes them into Redis at once; 0 = the next GET of each does"},
    STR("API_ADDRESS", api_address, "0.0.0.0", 1, "address urlmon-api listens on"),
    UINT("API_PORT", api_port, "8000", 1, 65535, "port urlmon-api listens on"),
    STR("API_TOKEN", api_token, "", 0, "bearer token for POST/DELETE; empty = open (never logged)"),
    UINT("API_THREADS", api_threads, "4", 1, 64, "urlmon-api worker threads for MySQL queries"),
    UINT("API_MAX_CONNECTIONS", api_max_connections, "4096", 16, 100000,
         "concurrent HTTP connections urlmon-api accepts"),
    UINT("API_REQUEST_TIMEOUT", api_request_timeout, "10", 1, 300,
         "seconds a client has to send a request / stay idle"),
    STR("CORS_ORIGINS", api_cors_origins, "", 0,
        "origins browsers may call urlmon-api from: empty = same origin only, * = any (GET and "
        "HEAD only), or a comma-separated list such as https://dash.example"),
    UINT("METRICS_PORT", metrics_port, "0", 0, 65535,
         "port of a separate listener serving /metrics, /status and /healthz; 0 = /metrics on "
         "API_PORT. When set, API_PORT answers 404 for /metrics"),
    STR("METRICS_ADDRESS", metrics_address, "127.0.0.1", 1,
        "address the METRICS_PORT listener binds (loopback: a sidecar in the same task scrapes)"),
    UINT("TIMEOUT", timeout, "10", 1, 300, "seconds a whole check of one URL may take"),
    UINT("CONNECT_TIMEOUT", connect_timeout, "5", 1, 300, "seconds to connect to a monitored URL"),
    UINT("CONCURRENCY", concurrency, "1000", 1, 50000, "checks in flight at once"),
    UINT("CHECK_THREADS", check_threads, "0", 0, 64, "event loops checking URLs; 0 = one per core"),
    UINT("MIN_INTERVAL", min_interval, "5", 1, 2592000,
         "shortest check interval (seconds) a URL may be given (POST, PUT/PATCH, CSV)"),
    UINT("MAX_INTERVAL", max_interval, "86400", 1, 2592000,
         "longest check interval (seconds) a URL may be given (>= MIN_INTERVAL)"),
    UINT("MAX_REDIRECTS", max_redirects, "5", 0, 50, "redirects followed per check"),
    UINT("MAX_BODY_BYTES", max_body_bytes, "1048576", 1024, 1073741824,
         "body bytes read per check; more fails as too_large"),
    UINT("BATCH_SIZE", batch_size, "1000", 1, 100000, "result rows per INSERT"),
    UINT("RETENTION_DAYS", retention_days, "35", 1, 3650, "days raw checks are kept"),
    UINT("HOURLY_RETENTION_DAYS", hourly_retention_days, "35", 32, 36500,
         "days per-URL hourly rollups are kept (the API reads them 32 days back at most)"),
    UINT("ROLLUP_RETENTION_DAYS", rollup_retention_days, "400", 31, 36500,
         "days daily rollups and hourly totals are kept"),
    UINT("QUEUE_MAX", queue_max, "1000000", 1, 1000000000,
         "entries the Redis queue may hold; beyond, POST /urls answers 503 + Retry-After"),
    STR("SPOOL_DIR", spool_dir, "", 0,
        "where results wait while MySQL is down; empty = a private folder per database"),
    STR("CA_BUNDLE", ca_bundle, "", 0,
        "PEM file of the CAs checks trust (replaces the system bundle); empty = system"),
    STR("CA_PATH", ca_path, "", 0,
        "directory of hashed CA certificates checks also trust (c_rehash); empty = none"),
    {"ALLOW_PRIVATE_TARGETS", P_BOOL, OFF(allow_private_targets), SZ(allow_private_targets), "0", 0,
     1, "1 lets checks reach loopback/private/link-local addresses (SSRF guard off)"},
    UINT("FAIL_THRESHOLD", fail_threshold, "2", 1, 100,
         "consecutive failed checks that make a URL down and open an incident (per URL: "
         "fail_threshold)"),
    UINT("SUCCESS_THRESHOLD", success_threshold, "1", 1, 100,
         "consecutive successful checks that make a down URL up again (per URL: "
         "success_threshold)"),
    UINT("CERT_EXPIRY_DAYS", cert_expiry_days, "14", 1, 3650,
         "days before an https URL's certificate expires that raise a cert_expiring warning"),
    STR("ALERTMANAGER_URL", alertmanager_url, "", 0,
        "Prometheus Alertmanager base URLs, comma-separated (alerts go to /api/v2/alerts); "
        "empty = none"),
    UINT("ALERTMANAGER_RESEND_SECONDS", alertmanager_resend, "60", 5, 3600,
         "seconds between re-posts of firing alerts to Alertmanager"),
    STR("WEBHOOK_URLS", webhook_urls, "", 0,
        "URLs every alert event is POSTed to as JSON, comma-separated; empty = none"),
    STR("WEBHOOK_SECRET", webhook_secret, "", 0,
        "key of the X-Urlmon-Signature HMAC-SHA256 header; empty = unsigned (never logged)"),
    UINT("WEBHOOK_RETRY_SECONDS", webhook_retry_seconds, "3600", 10, 604800,
         "seconds an undelivered event is retried (exponential backoff) before it is failed"),
    {"LOG_LEVEL", P_LEVEL, OFF(log_level), SZ(log_level), "info", 0, 0,
     "debug, info, warn or error"},
    {"LOG_FORMAT", P_FORMAT, OFF(log_format), SZ(log_format), "text", 0, 0,
     "text, or json: one JSON object per line (time, level, program, instance, run_id, shard, "
     "url_id, path, message) for log shippers; text unless set, terminal or not"},
    STR("URLMON_INSTANCE", instance, "", 0, "name of this instance in log lines"),
};

static int set_error(char *err, size_t errlen, const struct param *p, const char *what)
{
    if (p->type == P_UINT)
        snprintf(err, errlen, "%s: %s (expected an integer from %lu to %lu)", p->name, what, p->min,
                 p->max);
    else if (p->type == P_BOOL)
        snprintf(err, errlen, "%s: %s (expected 0 or 1)", p->name, what);
    else if (p->type == P_LEVEL)
        snprintf(err, errlen, "%s: %s (expected debug, info, warn or error)", p->name, what);
    else if (p->type == P_FORMAT)
        snprintf(err, errlen, "%s: %s (expected text or json)", p->name, what);
    else
        snprintf(err, errlen, "%s: %s (expected %lu to %zu characters)", p->name, what, p->min,
                 p->size - 1);
    return -1;
}

static int parse_one(struct config *cfg, const struct param *p, const char *val, char *err,
                     size_t errlen)
{
    char *base = (char *)cfg + p->offset;

    switch (p->type) {
    case P_STR: {
        size_t len = strlen(val);
        if (len < p->min)
            return set_error(err, errlen, p, "is empty");
        if (len >= p->size)
            return set_error(err, errlen, p, "is too long");
        memcpy(base, val, len + 1);
        return 0;
    }
    case P_UINT: {
        char *end = NULL;
        unsigned long v;
        if (*val == '\0' || *val == '-' || *val == '+' || *val == ' ')
            return set_error(err, errlen, p, "is not a number");
        errno = 0;
        v = strtoul(val, &end, 10);
        if (errno != 0 || *end != '\0')
            return set_error(err, errlen, p, "is not a number");
        if (v < p->min || v > p->max)
            return set_error(err, errlen, p, "is out of range");
        *(unsigned *)base = (unsigned)v;
        return 0;
    }
    case P_BOOL:
        if (strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0)
            *(bool *)base = true;
        else if (strcmp(val, "0") == 0 || strcasecmp(val, "false") == 0 || *val == '\0')
            *(bool *)base = false;
        else
            return set_error(err, errlen, p, "is not a boolean");
        return 0;
    case P_LEVEL: {
        int lvl = log_level_parse(val);
        if (lvl < 0)
            return set_error(err, errlen, p, "is not a log level");
        *(int *)base = lvl;
        return 0;
    }
    case P_FORMAT: {
        int fmt = log_format_parse(val);
        if (fmt < 0)
            return set_error(err, errlen, p, "is not a log format");
        *(int *)base = fmt;
        return 0;
    }
    }
    return set_error(err, errlen, p, "has an unknown type");
}

static const char *plain_getenv(const char *name)
{
    return getenv(name);
}

int config_load(struct config *cfg, const char *(*getenv_fn)(const char *name), char *err,
                size_t errlen)
{
    size_t i;

    if (!getenv_fn)
        getenv_fn = plain_getenv;
    memset(cfg, 0, sizeof(*cfg));
    for (i = 0; i < ARRAY_LEN(params); i++) {
        const char *val = getenv_fn(params[i].name);
        if (!val)
            val = params[i].def;
        if (parse_one(cfg, &params[i], val, err, errlen) != 0)
            return -1;
    }
    if (cfg->min_pool > cfg->max_pool) {
        snprintf(err, errlen, "MIN_POOL: %u is larger than MAX_POOL (%u)", cfg->min_pool,
                 cfg->max_pool);
        return -1;
    }
    if (cfg->min_interval > cfg->max_interval) {
        snprintf(err, errlen, "MIN_INTERVAL: %u is larger than MAX_INTERVAL (%u)",
                 cfg->min_interval, cfg->max_interval);
        return -1;
    }
    if (cfg->metrics_port && cfg->metrics_port == cfg->api_port) {
        snprintf(err, errlen, "METRICS_PORT: %u is API_PORT; give it another port, or 0",
                 cfg->metrics_port);
        return -1;
    }
    if (cfg->db_tls_ca[0] && access(cfg->db_tls_ca, R_OK) != 0) {
        snprintf(err, errlen, "DB_TLS_CA: cannot read %s: %s", cfg->db_tls_ca, strerror(errno));
        return -1;
    }
    if (cfg->db_tls_ca[0] && !cfg->db_tls) {
        snprintf(err, errlen, "DB_TLS_CA: is set but DB_TLS is 0; set DB_TLS=1 too");
        return -1;
    }
    /* a CA setting that cannot be read would fail every https check as `tls` */
    if (cfg->ca_bundle[0] && access(cfg->ca_bundle, R_OK) != 0) {
        snprintf(err, errlen, "CA_BUNDLE: cannot read %s: %s", cfg->ca_bundle, strerror(errno));
        return -1;
    }
    if (cfg->ca_path[0] && access(cfg->ca_path, R_OK | X_OK) != 0) {
        snprintf(err, errlen, "CA_PATH: cannot read the directory %s: %s", cfg->ca_path,
                 strerror(errno));
        return -1;
    }
    if (cfg->connect_timeout > cfg->timeout)
        cfg->connect_timeout = cfg->timeout;
    return 0;
}

void config_describe(FILE *out)
{
    size_t i;

    fprintf(out, "Environment variables:\n");
    for (i = 0; i < ARRAY_LEN(params); i++) {
        const struct param *p = &params[i];
        char range[64] = "";
        if (p->type == P_UINT)
            snprintf(range, sizeof(range), " [%lu..%lu]", p->min, p->max);
        fprintf(out, "  %-22s default \"%s\"%s\n      %s\n", p->name, p->def, range, p->help);
    }
}

static void range_of(const struct param *p, char *buf, size_t len)
{
    buf[0] = '\0';
    if (p->type == P_UINT)
        snprintf(buf, len, "%lu..%lu", p->min, p->max);
}

void config_print_env_example(FILE *out)
{
    size_t i;

    fprintf(out,
            "# urlmon environment file: read by urlmon-api and urlmon-compute (systemd's\n"
            "# EnvironmentFile=, or `set -a; . FILE` in a shell). Every variable of the\n"
            "# configuration table, commented out at its default: uncomment what you change.\n"
            "# Generated from the table in the source (shared/config.c); `urlmon-api --help`\n"
            "# prints the same. Keep this file private: it holds passwords.\n"
            "# Under the systemd units SPOOL_DIR defaults to /var/lib/urlmon/spool instead.\n");
    for (i = 0; i < ARRAY_LEN(params); i++) {
        const struct param *p = &params[i];
        char range[64];
        range_of(p, range, sizeof(range));
        fprintf(out, "\n# %s%s%s%s\n#%s=%s\n", p->help, range[0] ? " [" : "", range,
                range[0] ? "]" : "", p->name, p->def);
    }
}

void config_print_markdown(FILE *out)
{
    size_t i;

    fprintf(out, "| variable | default | range | meaning |\n| --- | --- | --- | --- |\n");
    for (i = 0; i < ARRAY_LEN(params); i++) {
        const struct param *p = &params[i];
        char range[64];
        range_of(p, range, sizeof(range));
        fprintf(out, "| `%s` | `%s` | %s | %s |\n", p->name, p->def, range, p->help);
    }
}

/* shared/config.h: every runtime setting, read once from the environment.
 *
 * One table (config.c) lists each variable with its type, default and bounds.
 * config_load() fills a struct config that callers then treat as read-only.
 * A missing or invalid value is an error naming the variable and its range. */
#ifndef URLMON_CONFIG_H
#define URLMON_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "common.h"

struct config {
    /* MySQL / MariaDB */
    char db_address[256];
    unsigned db_port;
    char db_user[128];
    char db_password[256]; /* secret: never logged */
    char db_name[65];
    bool db_tls;         /* TLS to MySQL, server certificate verified */
    char db_tls_ca[512]; /* PEM CA file for db_tls; "" = the system bundle */
    unsigned max_pool;   /* connections the API's pool may hold */
    unsigned min_pool;   /* connections opened at start */
    /* Redis */
    char cache_address[256];
    unsigned cache_port;
    char cache_password[256]; /* secret: never logged */
    unsigned cache_ttl;       /* seconds a cached API answer lives */
    bool cache_warm;          /* the API recomputes invalidated answers at once (api/warm.h) */
    /* API */
    char api_address[64];
    unsigned api_port;
    char api_token[256];          /* secret; empty = no auth on POST/DELETE */
    unsigned api_threads;         /* worker threads doing MySQL work */
    unsigned api_max_connections; /* concurrent HTTP connections */
    unsigned api_request_timeout; /* seconds for a client to send a request */
    char api_cors_origins[1024];  /* CORS: "" same-origin only, "*" or a list (api/cors.h) */
    char metrics_address[64];     /* the internal listener's address */
    unsigned metrics_port;        /* 0 = /metrics on api_port; else its own listener */
    /* checks (compute) */
    unsigned timeout;         /* seconds a whole check may take */
    unsigned connect_timeout; /* seconds to establish the connection */
    unsigned concurrency;     /* checks in flight across all loops */
    unsigned check_threads;   /* event loops; 0 = one per core */
    unsigned min_interval;    /* bounds of a URL's check interval (seconds) */
    unsigned max_interval;
    unsigned max_redirects;
    unsigned max_body_bytes;
    unsigned batch_size; /* rows per INSERT */
    unsigned retention_days;
    unsigned hourly_retention_days; /* rollup_hourly; >= 32: the API reads 32 days back */
    unsigned rollup_retention_days;
    unsigned queue_max; /* entries urlmon:queue may hold; POST /urls answers 503 beyond */
    char spool_dir[512];
    char ca_bundle[512];        /* CA file checks trust; "" = the system bundle */
    char ca_path[512];          /* hashed CA directory checks also trust; "" = none */
    bool allow_private_targets; /* lifts the SSRF guard (tests, local run) */
    /* alerting (docs/alerting.md) */
    unsigned fail_threshold;        /* consecutive failures that make a URL down */
    unsigned success_threshold;     /* consecutive successes that make it up again */
    unsigned cert_expiry_days;      /* cert_expiring when fewer days are left */
    char alertmanager_url[1024];    /* comma list of Alertmanager base URLs; "" = none */
    unsigned alertmanager_resend;   /* seconds between re-posts of firing alerts */
    char webhook_urls[2048];        /* comma list of webhook URLs; "" = none */
    char webhook_secret[256];       /* HMAC-SHA256 key of X-Urlmon-Signature; secret */
    unsigned webhook_retry_seconds; /* how long an event is retried before it fails */
    /* logging */
    int log_level;
    int log_format; /* enum log_format */
    char instance[64];
};

/* Reads the environment through getenv_fn (NULL = getenv). On error returns -1 and
 * writes a message naming the variable and the accepted values into err. */
int config_load(struct config *cfg, const char *(*getenv_fn)(const char *name), char *err,
                size_t errlen) MUSTCHECK;

/* Prints the table (name, default, range, meaning) for --help and the README. */
void config_describe(FILE *out);
/* The same table as an environment file, every variable commented out at its default
 * with its meaning above it (installed as share/urlmon/urlmon.env.example). */
void config_print_env_example(FILE *out);
/* The same table as the README's Markdown table (a test keeps the README equal to it). */
void config_print_markdown(FILE *out);

#endif

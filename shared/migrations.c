/* shared/migrations.c: the schema, one numbered migration at a time.
 *
 * Append new migrations; never edit one that has shipped. Statements must run on
 * MariaDB >= 10.6 and MySQL 8.0 alike. The reasoning behind keys, indexes and
 * rollups is in docs/schema.md. All times are UTC (sessions set time_zone +00:00). */
#include "migrate.h"

static const char *const m1_initial[] = {
    /* One row per distinct URL (canonical form, see urlrule.h). url_hash makes the
     * uniqueness check cheap: a 2048-byte column cannot be a unique key itself. */
    "CREATE TABLE IF NOT EXISTS urls ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
    " name VARCHAR(255) NOT NULL,"
    " url VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " url_hash BINARY(32) AS (UNHEX(SHA2(url, 256))) STORED,"
    " regex VARCHAR(1024) NULL,"
    " active TINYINT(1) NOT NULL DEFAULT 1,"
    " created_at DATETIME(3) NOT NULL,"
    " updated_at DATETIME(3) NOT NULL,"
    " deactivated_at DATETIME(3) NULL,"
    " PRIMARY KEY (id),"
    " UNIQUE KEY uq_urls_url_hash (url_hash),"
    " KEY ix_urls_active (active, id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

    /* One row per compute run and shard. */
    "CREATE TABLE IF NOT EXISTS runs ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
    " shard_index SMALLINT UNSIGNED NOT NULL DEFAULT 0,"
    " shard_count SMALLINT UNSIGNED NOT NULL DEFAULT 1,"
    " slot BIGINT NOT NULL DEFAULT 0,"
    " instance VARCHAR(64) NOT NULL DEFAULT '',"
    " status ENUM('running','done','failed','interrupted') NOT NULL DEFAULT 'running',"
    " started_at DATETIME(3) NOT NULL,"
    " finished_at DATETIME(3) NULL,"
    " urls_total INT UNSIGNED NOT NULL DEFAULT 0,"
    " urls_checked INT UNSIGNED NOT NULL DEFAULT 0,"
    " successes INT UNSIGNED NOT NULL DEFAULT 0,"
    " failures INT UNSIGNED NOT NULL DEFAULT 0,"
    " p50_ms INT UNSIGNED NULL,"
    " p95_ms INT UNSIGNED NULL,"
    " p99_ms INT UNSIGNED NULL,"
    " PRIMARY KEY (id),"
    " KEY ix_runs_started (started_at)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",

    /* Raw results. The primary key (url_id, run_id) is the idempotency key: a result
     * written twice is rejected, and a URL's history is one contiguous range of the
     * clustered index, newest last (run ids grow with time). ix_checks_time serves
     * the rolling-hour window, window edges and retention deletes; InnoDB appends the
     * primary key to it, so (checked_at, success) -> url_id is covered. */
    "CREATE TABLE IF NOT EXISTS checks ("
    " url_id BIGINT UNSIGNED NOT NULL,"
    " run_id BIGINT UNSIGNED NOT NULL,"
    " checked_at DATETIME(3) NOT NULL,"
    " success TINYINT(1) NOT NULL,"
    " http_status SMALLINT UNSIGNED NULL,"
    " response_ms INT UNSIGNED NOT NULL,"
    " dns_ms INT UNSIGNED NULL,"
    " connect_ms INT UNSIGNED NULL,"
    " tls_ms INT UNSIGNED NULL,"
    " ttfb_ms INT UNSIGNED NULL,"
    " error_class ENUM('dns','connect','tls','timeout','http_status','regex_mismatch',"
    "'too_large','blocked','other') NULL,"
    " error_message VARCHAR(255) NULL,"
    " regex_matched TINYINT(1) NULL,"
    " regex_match VARCHAR(255) NULL,"
    " PRIMARY KEY (url_id, run_id),"
    " KEY ix_checks_time (checked_at, success)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",

    /* Per-URL counts per hour and per day, maintained by the compute job in the same
     * transaction as the raw rows. The API answers week/month windows from these. */
    "CREATE TABLE IF NOT EXISTS rollup_hourly ("
    " bucket DATETIME NOT NULL,"
    " url_id BIGINT UNSIGNED NOT NULL,"
    " success_count INT UNSIGNED NOT NULL DEFAULT 0,"
    " fail_count INT UNSIGNED NOT NULL DEFAULT 0,"
    " response_ms_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " PRIMARY KEY (bucket, url_id),"
    " KEY ix_rollup_hourly_url (url_id, bucket)"
    ") ENGINE=InnoDB",

    "CREATE TABLE IF NOT EXISTS rollup_daily ("
    " bucket DATE NOT NULL,"
    " url_id BIGINT UNSIGNED NOT NULL,"
    " success_count INT UNSIGNED NOT NULL DEFAULT 0,"
    " fail_count INT UNSIGNED NOT NULL DEFAULT 0,"
    " response_ms_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " PRIMARY KEY (bucket, url_id),"
    " KEY ix_rollup_daily_url (url_id, bucket)"
    ") ENGINE=InnoDB",

    /* All-URL totals per hour, so the summary never groups per URL. */
    "CREATE TABLE IF NOT EXISTS rollup_hourly_total ("
    " bucket DATETIME NOT NULL PRIMARY KEY,"
    " success_count BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " fail_count BIGINT UNSIGNED NOT NULL DEFAULT 0"
    ") ENGINE=InnoDB",

    /* Result batches already written: (run_id, batch_no) makes a retried or replayed
     * batch (spool, lost commit acknowledgement) a no-op, so rollups count once. */
    "CREATE TABLE IF NOT EXISTS result_batches ("
    " run_id BIGINT UNSIGNED NOT NULL,"
    " batch_no INT UNSIGNED NOT NULL,"
    " rows_written INT UNSIGNED NOT NULL,"
    " written_at DATETIME(3) NOT NULL,"
    " PRIMARY KEY (run_id, batch_no)"
    ") ENGINE=InnoDB",

    /* One run per shard at a time: a lease with an owner token and an expiry, and the
     * last slot completed so a second start in the same slot does not check again. */
    "CREATE TABLE IF NOT EXISTS run_locks ("
    " shard_key VARCHAR(32) NOT NULL PRIMARY KEY,"
    " owner VARCHAR(64) NULL,"
    " expires_at DATETIME(3) NULL,"
    " last_slot BIGINT NULL"
    ") ENGINE=InnoDB",
    NULL,
};

/* The top lists break count ties by (name, url) and, when thousands of URLs share the
 * count (every healthy URL has the same number of checks), read the first URLs in that
 * order: with this index that is a covering scan of a few dozen entries instead of a
 * filesort of the whole table (25 ms at 10,000 URLs, per request). 255 utf8mb4
 * characters + 2048 ASCII bytes = 3068 bytes, inside InnoDB's 3072-byte key limit. */
static const char *const m2_urls_name_url[] = {
    "ALTER TABLE urls ADD INDEX ix_urls_name_url (name, url)",
    NULL,
};

/* Slots count in units of their interval (floor(time / interval)): the interval is
 * recorded with the last slot done so that slots of different intervals are never
 * compared (a 60 s slot number is ten times a 600 s one). */
static const char *const m3_run_locks_interval[] = {
    "ALTER TABLE run_locks ADD COLUMN last_interval INT UNSIGNED NULL",
    NULL,
};

/* The identity of this database: a random id made once, at migrate. Spool files carry
 * it, so a replay never writes another database's results into this one. */
static const char *const m4_install_id[] = {
    "CREATE TABLE IF NOT EXISTS install ("
    " id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
    " install_id CHAR(32) NOT NULL,"
    " created_at DATETIME(3) NOT NULL"
    ") ENGINE=InnoDB",
    "INSERT IGNORE INTO install (id, install_id, created_at) VALUES (1,"
    " LEFT(SHA2(CONCAT(UUID(), RAND(), SYSDATE(6), CONNECTION_ID()), 256), 32),"
    " UTC_TIMESTAMP(3))",
    NULL,
};

/* Each URL's own check interval in seconds (API field `interval`; INTERVAL is a
 * reserved word). 600 is the 10-minute slot every URL had before. */
static const char *const m5_urls_interval[] = {
    "ALTER TABLE urls ADD COLUMN check_interval INT UNSIGNED NOT NULL DEFAULT 600",
    NULL,
};

/* The service mode checks a URL many times per run (a run is a minute there): the key
 * of a result becomes (url_id, checked_at, run_id). Still the idempotency key (a result
 * keeps its checked_at through retries and the spool), a URL's history is still one
 * contiguous range of the clustered index in time order (latest check = the last
 * entry, MAX(checked_at) per url_id a loose index scan), and checked_at in the key is
 * what a later daily RANGE partitioning of the table needs. run_id stays in the key so
 * that two checks of one URL in the same millisecond by two runs can never collide.
 * Rebuilds the table (a copy on MariaDB): on a large installation run the migration in
 * a quiet hour. */
static const char *const m6_checks_key_checked_at[] = {
    "ALTER TABLE checks DROP PRIMARY KEY, ADD PRIMARY KEY (url_id, checked_at, run_id)",
    NULL,
};

/* Alerting (docs/alerting.md). Each URL's state (up/down/unknown with the streak that
 * changes it), its own thresholds (NULL = FAIL_THRESHOLD / SUCCESS_THRESHOLD) and its
 * certificate's expiry; each check's certificate expiry; incidents (down periods and
 * certificate warnings); the outbox of events to deliver. compute/alertwrite.c writes
 * all of it in the transaction of the result batch that causes it. Event ids are
 * unique, so a replayed batch (already refused by result_batches) can never add one. */
static const char *const m7_alerting[] = {
    "ALTER TABLE urls"
    " ADD COLUMN fail_threshold SMALLINT UNSIGNED NULL,"
    " ADD COLUMN success_threshold SMALLINT UNSIGNED NULL,"
    " ADD COLUMN state ENUM('unknown','up','down') NOT NULL DEFAULT 'unknown',"
    " ADD COLUMN state_since DATETIME(3) NULL,"
    " ADD COLUMN state_checked_at DATETIME(3) NULL,"
    " ADD COLUMN consec_fail INT UNSIGNED NOT NULL DEFAULT 0,"
    " ADD COLUMN consec_ok INT UNSIGNED NOT NULL DEFAULT 0,"
    " ADD COLUMN incident_id BIGINT UNSIGNED NULL,"
    " ADD COLUMN cert_expires_at DATETIME NULL,"
    " ADD COLUMN cert_incident_id BIGINT UNSIGNED NULL,"
    " ADD INDEX ix_urls_state (state)",
    "ALTER TABLE checks ADD COLUMN cert_expires_at DATETIME NULL",
    /* kind down: opened_at is the first failed check of the streak, detected_at the
     * check that reached the threshold; kind cert: opened_at when the warning was raised.
     * url and name are the URL's at opening: alerts keep the labels they were raised with. */
    "CREATE TABLE IF NOT EXISTS incidents ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
    " url_id BIGINT UNSIGNED NOT NULL,"
    " kind ENUM('down','cert_expiring') NOT NULL,"
    " url VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
    " name VARCHAR(255) NOT NULL,"
    " opened_at DATETIME(3) NOT NULL,"
    " detected_at DATETIME(3) NOT NULL,"
    " closed_at DATETIME(3) NULL,"
    " open_run_id BIGINT UNSIGNED NOT NULL,"
    " close_run_id BIGINT UNSIGNED NULL,"
    " error_class ENUM('dns','connect','tls','timeout','http_status','regex_mismatch',"
    "'too_large','blocked','other') NULL,"
    " error_message VARCHAR(255) NULL,"
    " http_status SMALLINT UNSIGNED NULL,"
    " cert_expires_at DATETIME NULL,"
    " PRIMARY KEY (id),"
    " UNIQUE KEY uq_incidents_open (url_id, kind, open_run_id),"
    " KEY ix_incidents_url (url_id, id),"
    " KEY ix_incidents_closed (closed_at, id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    /* targets_done: bit i = target i (ALERTMANAGER_URL entries, then WEBHOOK_URLS) has it
     * (delivered, or refused for good). next_at doubles as the claim of a sender. */
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
    " event_id VARCHAR(64) CHARACTER SET ascii NOT NULL,"
    " type ENUM('incident_opened','incident_closed','cert_expiring','cert_renewed') NOT NULL,"
    " url_id BIGINT UNSIGNED NOT NULL,"
    " incident_id BIGINT UNSIGNED NOT NULL,"
    " created_at DATETIME(3) NOT NULL,"
    " state ENUM('pending','sent','failed') NOT NULL DEFAULT 'pending',"
    " attempts INT UNSIGNED NOT NULL DEFAULT 0,"
    " next_at DATETIME(3) NOT NULL,"
    " targets_done BIGINT UNSIGNED NOT NULL DEFAULT 0,"
    " done_at DATETIME(3) NULL,"
    " last_error VARCHAR(255) NULL,"
    " PRIMARY KEY (id),"
    " UNIQUE KEY uq_outbox_event (event_id),"
    " KEY ix_outbox_due (state, next_at)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    NULL,
};

const struct migration migrations[] = {
    {1, "initial", m1_initial},
    {2, "urls_name_url", m2_urls_name_url},
    {3, "run_locks_interval", m3_run_locks_interval},
    {4, "install_id", m4_install_id},
    {5, "urls_interval", m5_urls_interval},
    {6, "checks_key_checked_at", m6_checks_key_checked_at},
    {7, "alerting", m7_alerting},
};
const unsigned migrations_count = sizeof(migrations) / sizeof(migrations[0]);

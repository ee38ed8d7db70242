/* compute/main.c: urlmon-compute entry point: command line, signals, the schedule.
 *
 * See docs/compute.md. Exit status: 0 done (or skipped, or stopped by a signal),
 * 1 a run could not complete or the --data-path file could not be loaded,
 * 2 bad command line or configuration. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "checker.h"
#include "clock.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "delivery.h"
#include "loader.h"
#include "log.h"
#include "migrate.h"
#include "partconv.h"
#include "partition.h"
#include "run.h"
#include "service.h"
#include "spool.h"

static atomic_int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* The alert targets parse (delivery.h), so a typo stops start-up, not delivery. */
static int check_targets(const struct config *cfg, char *err, size_t errlen)
{
    static char urls[DELIVERY_MAX_TARGETS][1024];
    char why[URLMON_ERRLEN];

    if (delivery_parse_targets(cfg->alertmanager_url, urls, DELIVERY_MAX_TARGETS, why,
                               sizeof(why)) < 0) {
        snprintf(err, errlen, "ALERTMANAGER_URL: %.200s", why);
        return -1;
    }
    if (delivery_parse_targets(cfg->webhook_urls, urls, DELIVERY_MAX_TARGETS, why, sizeof(why)) <
        0) {
        snprintf(err, errlen, "WEBHOOK_URLS: %.200s", why);
        return -1;
    }
    return 0;
}

static int install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Sleeps until the wall clock reaches until_ms, or a signal. The wait itself is
 * measured on the monotonic clock, so a wall-clock step cannot stretch it. */
static void sleep_until(int64_t until_ms)
{
    int64_t deadline = clock_mono_ms() + (until_ms - clock_wall_ms()), left;

    while (!stop_flag && (left = deadline - clock_mono_ms()) > 0) {
        struct timespec ts = {0, (long)(left < 100 ? left : 100) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int cmd_migrate(const struct config *cfg)
{
    char err[URLMON_ERRLEN] = "";
    MYSQL *conn = NULL;
    int before = 0, after = 0, rc = 1;
    bool populated = false;
    int64_t now_s;

    if (!(conn = run_connect(cfg, &stop_flag, err, sizeof(err)))) {
        log_error("%s", err);
        goto out;
    }
    if (migrate_apply(conn, &before, &after, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    if (before == after)
        log_info("schema is up to date at version %d", after);
    else
        log_info("schema migrated from version %d to %d", before, after);
    now_s = clock_wall_ms() / 1000;
    if (partition_setup(conn, now_s, now_s - (int64_t)cfg->retention_days * 86400, &populated, err,
                        sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    if (populated)
        log_warn("checks holds rows and is not partitioned by day: convert it online with "
                 "'urlmon-compute partition-checks' (docs/schema.md); until then retention "
                 "deletes rows");
    rc = 0;
out:
    db_close(&conn);
    return rc;
}

static int cmd_partition_checks(const struct config *cfg, const struct cli_opts *o)
{
    char err[URLMON_ERRLEN] = "";
    struct partconv_stats st;
    MYSQL *conn = NULL;
    int rc = 1;

    if (!(conn = run_connect(cfg, &stop_flag, err, sizeof(err)))) {
        log_error("%s", err);
        goto out;
    }
    if (partconv_run(conn, clock_wall_ms() / 1000, cfg->retention_days, o->keep_old, &stop_flag,
                     &st, err, sizeof(err)) != 0) {
        log_error("partition-checks: %s", err);
        goto out;
    }
    if (st.already)
        log_info("partition-checks: checks is partitioned already; nothing to do");
    else
        log_info("partition-checks: done: %llu rows copied in %llu chunks (%.1f s), swap %.3f s, "
                 "%llu rows before, %llu after, none missing; old table %s",
                 (unsigned long long)st.copied, (unsigned long long)st.chunks, st.copy_s, st.swap_s,
                 (unsigned long long)st.old_rows, (unsigned long long)st.new_rows,
                 st.old_kept ? "kept as checks_unpartitioned" : "dropped");
    rc = 0;
out:
    db_close(&conn);
    return rc;
}

static int cmd_load(const struct config *cfg, const char *path)
{
    char err[URLMON_ERRLEN] = "";
    struct loader_stats st;
    const struct qentry_bounds bounds = {cfg->min_interval, cfg->max_interval};
    MYSQL *conn = NULL;
    int rc = 1;

    if (!(conn = run_connect(cfg, &stop_flag, err, sizeof(err)))) {
        log_error("--data-path not loaded: %s", err);
        goto out;
    }
    if (loader_load_csv(conn, path, &bounds, &st, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto out;
    }
    log_info("%s: %lu rows, %lu URLs loaded, %lu bad rows skipped (%lu new URLs, %lu already "
             "known: updated and active again)",
             path, st.rows, st.loaded, st.bad, st.loaded - st.updated, st.updated);
    rc = 0;
out:
    db_close(&conn);
    return rc;
}

/* Runs at t0, t0 + I, t0 + 2I, ...; a run that overruns is followed at once by the
 * next, whose tick is the latest one passed (missed ticks are not made up). */
static int cmd_run_local(const struct config *cfg, const struct cli_opts *o)
{
    int64_t period = (int64_t)o->interval * 1000, tick = clock_wall_ms(), next, now;
    struct run_params p = {cfg, o->shard_index, o->shard_count, 0, o->interval, &stop_flag, false};

    log_info("running every %u s until SIGINT/SIGTERM", o->interval);
    while (!stop_flag) {
        p.slot = tick / period;
        if (run_once(&p) == RUN_FAILED)
            log_error("run failed; next one at the next tick");
        next = tick + period;
        now = clock_wall_ms();
        if (now >= next)
            tick = next + (now - next) / period * period;
        else {
            sleep_until(next);
            tick = next;
        }
    }
    log_info("stopped");
    return 0;
}

static int dispatch(const struct config *cfg, const struct cli_opts *o)
{
    struct run_params p = {cfg, o->shard_index, o->shard_count, 0, o->interval, &stop_flag, false};

    if (o->mode == CLI_MODE_MIGRATE)
        return cmd_migrate(cfg);
    if (o->mode == CLI_MODE_PARTITION_CHECKS)
        return cmd_partition_checks(cfg, o);
    if (o->data_path && cmd_load(cfg, o->data_path) != 0)
        return 1;
    if (stop_flag)
        return 0;
    if (o->run_local)
        return cmd_run_local(cfg, o);
    if (o->service) {
        struct service_params sp = {cfg, o->shard_index, o->shard_count, &stop_flag};
        return service_run(&sp);
    }
    p.slot = clock_wall_ms() / ((int64_t)o->interval * 1000);
    return run_once(&p) == RUN_FAILED ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct cli_opts o;
    struct config cfg;
    char err[URLMON_ERRLEN] = "";
    int rc = 1;

    if (cli_parse(argc, argv, &o, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-compute: %s\ntry 'urlmon-compute --help'\n", err);
        return 2;
    }
    if (o.mode == CLI_MODE_HELP) {
        cli_usage(stdout);
        config_describe(stdout);
        return 0;
    }
    if (o.mode == CLI_MODE_VERSION) {
        printf("urlmon-compute %s\n", URLMON_VERSION);
        return 0;
    }
    if (config_load(&cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-compute: configuration error: %s\n", err);
        return 2;
    }
    if (check_targets(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "urlmon-compute: configuration error: %s\n", err);
        return 2;
    }
    log_init("urlmon-compute", cfg.log_level);
    log_set_output(cfg.log_format, cfg.instance);
    if (!cfg.spool_dir[0] &&
        spool_default_dir(cfg.db_address, cfg.db_port, cfg.db_name, cfg.spool_dir,
                          sizeof(cfg.spool_dir), err, sizeof(err)) != 0) {
        log_error("SPOOL_DIR: %s", err);
        return 2;
    }
    if (install_signals() != 0 || db_library_init() != 0) {
        log_error("cannot initialise signals or the MySQL client library");
        return 1;
    }
    if (checker_global_init() != 0) {
        log_error("cannot initialise the check engine (libcurl)");
        goto out;
    }
    rc = dispatch(&cfg, &o);
    checker_global_cleanup();
out:
    db_library_end();
    return rc;
}

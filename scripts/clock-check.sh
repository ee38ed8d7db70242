#!/usr/bin/env bash
# Fails when product code (shared/, api/, compute/) reads or formats time outside
# shared/clock.c, the one module that may (see shared/clock.h):
#   - CLOCK_REALTIME, time(), gettimeofday: a deadline or duration on the wall clock
#     stalls or fires early when the clock steps; stored instants use clock_wall_ms;
#   - pthread_cond_init, and PTHREAD_COND_INITIALIZER in a file that waits with a
#     timeout: a condition variable without the CLOCK_MONOTONIC attribute would read
#     clock_deadline_ts deadlines as wall-clock times; clock_cond_init makes it
#     monotonic (a static initializer is fine for untimed waits);
#   - gmtime, localtime, strftime: UTC formatting is clock_utc_format.
#   scripts/clock-check.sh [ROOT]     # check ROOT (default: this repository)
#   scripts/clock-check.sh --self-test  # prove that each rule fails on a broken file
set -euo pipefail

RULES=(
    'CLOCK_REALTIME'
    '(^|[^_[:alnum:]])time[[:space:]]*\([[:space:]]*(NULL|0|&)'
    'gettimeofday'
    'pthread_cond_init'
    '(^|[^_[:alnum:]])(gmtime|localtime|strftime)(_r)?[[:space:]]*\('
)

# Prints every offending line under $1; returns 1 when there is one.
check_tree() (
    cd "$1" || exit 2
    local bad=0 rule hits
    for rule in "${RULES[@]}"; do
        hits=$(grep -rnE --include='*.c' --include='*.h' "$rule" shared api compute |
            grep -vE '^shared/clock\.(c|h):' || true)
        if [ -n "$hits" ]; then
            printf 'clock-check: use shared/clock.h instead (rule /%s/):\n%s\n' "$rule" "$hits"
            bad=1
        fi
    done
    hits=$(grep -rlE --include='*.c' --include='*.h' 'pthread_cond_timedwait' shared api compute |
        grep -vE '^shared/clock\.(c|h)$' | xargs -r grep -nH 'PTHREAD_COND_INITIALIZER' || true)
    if [ -n "$hits" ]; then
        printf 'clock-check: a timed wait on a statically initialised condvar (use clock_cond_init):\n%s\n' "$hits"
        bad=1
    fi
    exit "$bad"
)

self_test() {
    local tmp samples sample n=0
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    mkdir -p "$tmp/shared" "$tmp/api" "$tmp/compute"
    printf 'int64_t x = clock_mono_ms();\n' >"$tmp/compute/ok.c"
    printf 'clock_gettime(CLOCK_REALTIME, &ts);\n' >"$tmp/shared/clock.c" # allowed there
    if ! check_tree "$tmp" >/dev/null; then
        echo "clock-check self-test: a clean tree failed"
        return 1
    fi
    samples=(
        'clock_gettime(CLOCK_REALTIME, &ts);'
        'time_t d = time(NULL) + 5;'
        'gettimeofday(&tv, NULL);'
        'pthread_cond_init(&c, NULL);'
        'static pthread_cond_t c = PTHREAD_COND_INITIALIZER; /* timedwait: pthread_cond_timedwait(&c, &m, &d); */'
        'gmtime_r(&t, &tm);'
        'strftime(buf, sizeof(buf), "%F", &tm);'
    )
    for sample in "${samples[@]}"; do
        printf '%s\n' "$sample" >"$tmp/api/bad.c"
        if check_tree "$tmp" >/dev/null; then
            echo "clock-check self-test: not caught: $sample"
            return 1
        fi
        n=$((n + 1))
    done
    rm -f "$tmp/api/bad.c"
    echo "clock-check self-test: clean tree passes, $n broken samples fail"
}

if [ "${1:-}" = --self-test ]; then
    self_test
    exit $?
fi
ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
check_tree "$ROOT"
echo "clock-check: no wall-clock deadline, plain condvar or private UTC formatter"

/* api/window.c: rolling window arithmetic (UTC, milliseconds). */
#include "window.h"

int64_t window_ceil(int64_t t_ms, int64_t unit_ms)
{
    int64_t r = t_ms % unit_ms;

    if (r < 0)
        r += unit_ms;
    return r == 0 ? t_ms : t_ms - r + unit_ms;
}

void window_split(int64_t now_ms, int64_t span_ms, struct window *w)
{
    w->start_ms = now_ms - span_ms;
    w->hour_ms = window_ceil(w->start_ms, WINDOW_HOUR_MS);
    w->day_ms = window_ceil(w->hour_ms, WINDOW_DAY_MS);
}

int64_t window_floor(int64_t t_ms, int64_t unit_ms)
{
    int64_t r = t_ms % unit_ms;

    if (r < 0)
        r += unit_ms;
    return t_ms - r;
}

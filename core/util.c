/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(vmboard-error-quark, vmb_error)

static int log_verbosity;
static void (*log_before)(void);
static __thread bool in_log_before; /* a message the hook logs does not call it again */

void vmb_log_set_verbosity(int level)
{
    log_verbosity = level;
}

void vmb_log_set_before(void (*hook)(void))
{
    log_before = hook;
}

static void call_log_before(void)
{
    if (!log_before || in_log_before)
        return;
    in_log_before = true;
    log_before();
    in_log_before = false;
}

static void log_line(const char *prefix, const char *fmt, va_list ap)
{
    /* One fprintf per line so lines from several threads do not interleave. */
    char *text = g_strdup_vprintf(fmt, ap);
    call_log_before();
    fprintf(stderr, "vmboard: %s%s\n", prefix, text);
    g_free(text);
}

void vmb_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("error: ", fmt, ap);
    va_end(ap);
}

void vmb_log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("warning: ", fmt, ap);
    va_end(ap);
}

void vmb_log_info(const char *fmt, ...)
{
    if (log_verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line("", fmt, ap);
    va_end(ap);
}

void vmb_log_debug(const char *fmt, ...)
{
    if (log_verbosity < 2)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line("debug: ", fmt, ap);
    va_end(ap);
}

#define GUEST_ERROR_BURST 10 /* messages per second per limiter */

void vmb_log_guest_errorv(struct ratelimit *rl, const char *fmt, va_list ap)
{
    gint64 now = g_get_monotonic_time();
    unsigned suppressed = 0;
    bool print;

    g_mutex_lock(&rl->lock);
    if (now - rl->window_start_us >= G_USEC_PER_SEC) {
        suppressed = rl->suppressed;
        rl->window_start_us = now;
        rl->printed = 0;
        rl->suppressed = 0;
    }
    print = rl->printed < GUEST_ERROR_BURST;
    if (print)
        rl->printed++;
    else
        rl->suppressed++;
    g_mutex_unlock(&rl->lock);

    if (suppressed) {
        call_log_before();
        fprintf(stderr, "vmboard: guest error: (%u similar messages suppressed)\n", suppressed);
    }
    if (print)
        log_line("guest error: ", fmt, ap);
}

void vmb_log_guest_error(struct ratelimit *rl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmb_log_guest_errorv(rl, fmt, ap);
    va_end(ap);
}

bool parse_u64(const char *text, uint64_t *out)
{
    unsigned base = 10;
    char *end;

    if (!text || !*text)
        return false;
    /* Base 10 unless 0x: a board writing 010 means ten, not octal eight. */
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text += 2;
    }
    if (!g_ascii_isxdigit(*text) || (base == 10 && !g_ascii_isdigit(*text)))
        return false;
    errno = 0;
    guint64 value = g_ascii_strtoull(text, &end, base);
    if (errno || end == text || *end)
        return false;
    *out = value;
    return true;
}

bool parse_i64(const char *text, int64_t *out)
{
    uint64_t magnitude;
    bool negative = false;

    if (!text || !*text)
        return false;
    if (*text == '-') {
        negative = true;
        text++;
    }
    if (!parse_u64(text, &magnitude))
        return false;
    if (negative) {
        if (magnitude > (uint64_t)INT64_MAX + 1)
            return false;
        *out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    } else {
        if (magnitude > INT64_MAX)
            return false;
        *out = (int64_t)magnitude;
    }
    return true;
}

bool parse_size(const char *text, uint64_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } suffixes[] = {
        {"K", 10}, {"KiB", 10}, {"KB", 10}, {"M", 20}, {"MiB", 20}, {"MB", 20},
        {"G", 30}, {"GiB", 30}, {"GB", 30}, {"T", 40}, {"TiB", 40}, {"TB", 40},
    };
    uint64_t value;

    if (!text || !*text)
        return false;
    size_t len = strlen(text);
    size_t digits = len;
    while (digits > 0 && g_ascii_isalpha(text[digits - 1]))
        digits--;
    /* "0x10" ends in a hex digit, not a suffix: only treat letters as a suffix after decimal. */
    if (digits < len && !(len > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))) {
        const char *suffix = text + digits;
        char *number = g_strndup(text, digits);
        bool ok = parse_u64(number, &value);
        g_free(number);
        if (!ok)
            return false;
        for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
            if (g_ascii_strcasecmp(suffix, suffixes[i].suffix) != 0)
                continue;
            if (value > (UINT64_MAX >> suffixes[i].shift))
                return false;
            *out = value << suffixes[i].shift;
            return true;
        }
        return false;
    }
    if (!parse_u64(text, &value))
        return false;
    *out = value;
    return true;
}

bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    if (!text)
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *rows = g_new(size_t, 3 * (lb + 1));
    size_t *prev2 = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);

    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            size_t best = MIN(prev[j] + 1, cur[j - 1] + 1);
            best = MIN(best, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                best = MIN(best, prev2[j - 2] + 1);
            cur[j] = best;
        }
        size_t *tmp = prev2;
        prev2 = prev;
        prev = cur;
        cur = tmp;
    }
    size_t result = prev[lb];
    g_free(rows);
    return result;
}

const char *did_you_mean(const char *word, const char *const *candidates, size_t count)
{
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;

    if (!word)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if (!candidates[i])
            continue;
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_distance) {
            best_distance = d;
            best = candidates[i];
        }
    }
    /* Close enough: a third of the word's length, at least one edit, at most three. */
    size_t limit = CLAMP(strlen(word) / 3, 1, 3);
    return best && best_distance <= limit ? best : NULL;
}

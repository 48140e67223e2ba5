/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the core: number parsing, did-you-mean, rate-limited logging. */
#ifndef VMBOARD_UTIL_H
#define VMBOARD_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define VMB_ERROR (vmb_error_quark())
GQuark vmb_error_quark(void);
enum vmb_error_code { VMB_ERROR_FAILED, VMB_ERROR_INVALID, VMB_ERROR_KVM, VMB_ERROR_GUEST, VMB_ERROR_BUSY };

/* Decimal or 0x-hex unsigned; false on junk, sign, or overflow. */
bool parse_u64(const char *text, uint64_t *out);
bool parse_i64(const char *text, int64_t *out);
/* Unsigned with optional K, M, G, T (or KiB...) suffix in powers of 1024. */
bool parse_size(const char *text, uint64_t *out);
/* true/false, yes/no, on/off, 1/0. */
bool parse_bool(const char *text, bool *out);

/* The candidate closest to `word` by edit distance, or NULL if none is close enough. */
const char *did_you_mean(const char *word, const char *const *candidates, size_t count);

/* Messages. Everything the core prints goes through these (stderr, "vmboard: " prefix). */
void vmb_log_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void vmb_log_warn(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void vmb_log_info(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void vmb_log_debug(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void vmb_log_set_verbosity(int level); /* 0 errors+warnings, 1 info, 2 debug */
/* Called before each message is written (vmboard run: the consoles' pending output, so a
 * message does not land in the middle of a guest's line). It must not wait long; what it
 * logs itself is written without calling it again. */
void vmb_log_set_before(void (*hook)(void));

/*
 * Guest errors are rate limited: at most `burst` messages per second per limiter, then a
 * count of the suppressed ones. A limiter is a static struct at each call site or per device.
 */
struct ratelimit {
    gint64 window_start_us;
    unsigned printed;
    unsigned suppressed;
    GMutex lock;
};
void vmb_log_guest_error(struct ratelimit *rl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void vmb_log_guest_errorv(struct ratelimit *rl, const char *fmt, va_list ap);

#endif

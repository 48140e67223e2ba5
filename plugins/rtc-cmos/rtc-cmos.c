/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rtc-cmos: the PC's real-time clock and CMOS RAM, a Motorola MC146818A at ports 0x70
 * (index) and 0x71 (data).
 *
 * Time: the host's clock (UTC, or the host's local time with `base: localtime`) read once at
 * start, advanced by the monotonic clock the timers run on (so a host clock step does not
 * jump the guest's clock, and the device test harness's virtual clock drives it), plus an
 * offset the guest changes by setting the clock. Register B picks BCD or binary and 12- or 24-hour
 * encoding when time registers are read or written, as on the chip. While the guest holds updates
 * off (B.SET, or the divider chain in reset through A.DV) the time registers are plain bytes it may
 * rewrite; releasing them sets the clock from those bytes. Byte 0x32 holds the century, as the
 * FADT's CENTURY field announces.
 *
 * Status: A.UIP reads 1 in the last 244 us before each second changes. Flags in C (update
 * ended, alarm, periodic) are brought up to date whenever C is read or a timer fires; the
 * interrupt line (optional, `irq:`, 8 on a PC) is high while an enabled flag is set, and
 * reading C clears them. Timers run only while an interrupt is enabled and not yet raised.
 *
 * Every call into an instance is serialised by the core, so the state needs no lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmboard/plugin.h>

/* Register indexes. */
enum {
    REG_SECONDS = 0x00,
    REG_SECONDS_ALARM = 0x01,
    REG_MINUTES = 0x02,
    REG_MINUTES_ALARM = 0x03,
    REG_HOURS = 0x04,
    REG_HOURS_ALARM = 0x05,
    REG_WEEKDAY = 0x06,
    REG_DAY = 0x07,
    REG_MONTH = 0x08,
    REG_YEAR = 0x09,
    REG_A = 0x0a,
    REG_B = 0x0b,
    REG_C = 0x0c,
    REG_D = 0x0d,
    REG_CENTURY = 0x32,
    CMOS_SIZE = 0x80,
};

#define A_UIP          0x80
#define A_DIVIDER      0x70
#define A_DIVIDER_RUN  0x20 /* 010: 32.768 kHz time base, running */
#define A_DIVIDER_HELD 0x60 /* 11x: divider chain held in reset */
#define A_RATE         0x0f
#define A_WRITABLE     0x7f

#define B_SET    0x80
#define B_PIE    0x40
#define B_AIE    0x20
#define B_UIE    0x10
#define B_SQWE   0x08
#define B_BINARY 0x04
#define B_24H    0x02
#define B_DSE    0x01

#define C_IRQF  0x80
#define C_PF    0x40
#define C_AF    0x20
#define C_UF    0x10
#define C_FLAGS (C_PF | C_AF | C_UF) /* line up with B_PIE, B_AIE, B_UIE */

#define D_VRT 0x80 /* valid RAM and time: the battery is fine */

#define HOUR_PM   0x80
#define ALARM_ANY 0xc0 /* an alarm byte with both top bits set matches every value */

#define NS_PER_SECOND   1000000000ll
#define UIP_NS          244000ll /* UIP is set this long before each update */
#define TIME_BASE_HZ    32768u
#define SECONDS_PER_DAY 86400ll

/* The time registers, in the order a capture stores them. */
static const uint8_t time_registers[] = {REG_SECONDS, REG_MINUTES, REG_HOURS, REG_WEEKDAY,
                                         REG_DAY,     REG_MONTH,   REG_YEAR,  REG_CENTURY};

struct rtc {
    vmb_device *dev;
    const struct vmb_host *host;
    int irq_line; /* -1: no interrupt */
    vmb_timer *timer;
    /* The host's wall clock at start (with the local-time offset for base: localtime), and
     * the monotonic clock then. */
    int64_t start_seconds;
    int64_t start_ns;
    uint64_t start_clock;

    uint8_t index;
    uint8_t cmos[CMOS_SIZE]; /* RAM, alarms, and the time registers while frozen */
    uint8_t reg_a, reg_b, reg_c;
    /* Guest time = host time + offset_seconds s + offset_ns ns (0 <= offset_ns < 1 s). */
    int64_t offset_seconds;
    int64_t offset_ns;
    int64_t flags_second;   /* last guest second whose update and alarm flags are counted */
    uint64_t periodic_tick; /* last periodic tick counted */
    int irq_level;
};

struct guest_time {
    int64_t seconds; /* since 1970-01-01 00:00:00 */
    int64_t ns;      /* 0 .. NS_PER_SECOND - 1 */
};

/* ---- calendar ----------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12), counting years from
 * March so that the leap day is the last day of a year. */
static int64_t days_from_date(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = floor_div(year, 400);
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

struct date_time {
    int64_t year;
    unsigned month, day, hour, minute, second, weekday; /* weekday: 0 = Sunday */
};

static void date_from_seconds(int64_t seconds, struct date_time *out)
{
    int64_t days = floor_div(seconds, SECONDS_PER_DAY);
    int64_t of_day = floor_mod(seconds, SECONDS_PER_DAY);
    out->hour = (unsigned)(of_day / 3600);
    out->minute = (unsigned)(of_day / 60 % 60);
    out->second = (unsigned)(of_day % 60);
    out->weekday = (unsigned)floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */

    int64_t shifted = days + 719468;
    int64_t era = floor_div(shifted, 146097);
    int64_t day_of_era = shifted - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    out->day = (unsigned)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    out->month = (unsigned)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    out->year = year_of_era + era * 400 + (out->month <= 2);
}

/* ---- register encoding ----------------------------------------------------------------- */

static bool binary_mode(const struct rtc *rtc)
{
    return rtc->reg_b & B_BINARY;
}

static uint8_t encode(const struct rtc *rtc, unsigned value)
{
    return binary_mode(rtc) ? (uint8_t)value : (uint8_t)((value / 10) << 4 | value % 10);
}

/* The value of a register byte, or -1 if it is no valid number in the current mode. */
static int decode(const struct rtc *rtc, uint8_t byte)
{
    if (binary_mode(rtc))
        return byte;
    if ((byte >> 4) > 9 || (byte & 0x0f) > 9)
        return -1;
    return (byte >> 4) * 10 + (byte & 0x0f);
}

static uint8_t encode_hour(const struct rtc *rtc, unsigned hour)
{
    if (rtc->reg_b & B_24H)
        return encode(rtc, hour);
    unsigned twelve = hour % 12 ? hour % 12 : 12;
    return encode(rtc, twelve) | (hour >= 12 ? HOUR_PM : 0);
}

/* 0-23, or -1 if the byte is no valid hour in the current mode. */
static int decode_hour(const struct rtc *rtc, uint8_t byte)
{
    if (rtc->reg_b & B_24H) {
        int hour = decode(rtc, byte);
        return hour <= 23 ? hour : -1;
    }
    int twelve = decode(rtc, byte & (uint8_t)~HOUR_PM);
    if (twelve < 1 || twelve > 12)
        return -1;
    return twelve % 12 + ((byte & HOUR_PM) ? 12 : 0);
}

/* ---- the clock -------------------------------------------------------------------------- */

static struct guest_time guest_now(const struct rtc *rtc)
{
    uint64_t elapsed = rtc->host->clock_ns(rtc->dev) - rtc->start_clock;
    int64_t ns = rtc->start_ns + rtc->offset_ns + (int64_t)(elapsed % NS_PER_SECOND);
    struct guest_time t = {
        .seconds = rtc->start_seconds + rtc->offset_seconds + (int64_t)(elapsed / NS_PER_SECOND) +
                   ns / NS_PER_SECOND,
        .ns = ns % NS_PER_SECOND,
    };
    return t;
}

/* Make the guest's clock read `seconds` + `ns` now. */
static void set_guest_time(struct rtc *rtc, int64_t seconds, int64_t ns)
{
    rtc->offset_seconds = 0;
    rtc->offset_ns = 0;
    struct guest_time host = guest_now(rtc);
    int64_t delta_ns = ns - host.ns;
    int64_t delta_seconds = seconds - host.seconds;
    if (delta_ns < 0) {
        delta_ns += NS_PER_SECOND;
        delta_seconds--;
    }
    rtc->offset_seconds = delta_seconds;
    rtc->offset_ns = delta_ns;
    rtc->flags_second = seconds; /* setting the clock is no update cycle */
}

/* Updates stop while B.SET is 1 or the divider does not run the 32.768 kHz time base. */
static bool clock_running(const struct rtc *rtc)
{
    return !(rtc->reg_b & B_SET) && (rtc->reg_a & A_DIVIDER) == A_DIVIDER_RUN;
}

static uint8_t time_register_now(const struct rtc *rtc, const struct date_time *date, uint8_t reg)
{
    switch (reg) {
    case REG_SECONDS:
        return encode(rtc, date->second);
    case REG_MINUTES:
        return encode(rtc, date->minute);
    case REG_HOURS:
        return encode_hour(rtc, date->hour);
    case REG_WEEKDAY:
        return encode(rtc, date->weekday + 1); /* 1 = Sunday */
    case REG_DAY:
        return encode(rtc, date->day);
    case REG_MONTH:
        return encode(rtc, date->month);
    case REG_YEAR:
        return encode(rtc, (unsigned)(date->year % 100));
    default: /* REG_CENTURY */
        return encode(rtc, (unsigned)(date->year / 100 % 100));
    }
}

static bool is_time_register(uint8_t reg)
{
    return memchr(time_registers, reg, sizeof(time_registers)) != NULL;
}

/* Store the running clock's registers in cmos[], where a frozen clock keeps them. */
static void capture_time(struct rtc *rtc)
{
    struct date_time date;
    date_from_seconds(guest_now(rtc).seconds, &date);
    for (size_t i = 0; i < sizeof(time_registers); i++)
        rtc->cmos[time_registers[i]] = time_register_now(rtc, &date, time_registers[i]);
}

/* Set the clock from the time registers in cmos[]; refuse nonsense. */
static void load_time(struct rtc *rtc, int64_t ns)
{
    const uint8_t *cmos = rtc->cmos;
    int second = decode(rtc, cmos[REG_SECONDS]);
    int minute = decode(rtc, cmos[REG_MINUTES]);
    int hour = decode_hour(rtc, cmos[REG_HOURS]);
    int day = decode(rtc, cmos[REG_DAY]);
    int month = decode(rtc, cmos[REG_MONTH]);
    int year = decode(rtc, cmos[REG_YEAR]);
    int century = decode(rtc, cmos[REG_CENTURY]);

    if (second < 0 || second > 59 || minute < 0 || minute > 59 || hour < 0 || day < 1 || day > 31 ||
        month < 1 || month > 12 || year < 0 || year > 99 || century < 0 || century > 99) {
        rtc->host->guest_error(rtc->dev,
                               "clock set to an invalid time (%s, %s-hour registers: century "
                               "0x%02x year 0x%02x month 0x%02x day 0x%02x hour 0x%02x minute "
                               "0x%02x second 0x%02x); the clock keeps its time",
                               binary_mode(rtc) ? "binary" : "BCD",
                               (rtc->reg_b & B_24H) ? "24" : "12", cmos[REG_CENTURY],
                               cmos[REG_YEAR], cmos[REG_MONTH], cmos[REG_DAY], cmos[REG_HOURS],
                               cmos[REG_MINUTES], cmos[REG_SECONDS]);
        return;
    }
    int64_t days = days_from_date(century * 100 + year, (unsigned)month, (unsigned)day);
    set_guest_time(rtc, days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second, ns);
}

/* ---- flags and the interrupt line --------------------------------------------------------- */

static bool alarm_field_matches(int alarm, uint8_t raw, unsigned value)
{
    return (raw & ALARM_ANY) == ALARM_ANY || (alarm >= 0 && (unsigned)alarm == value);
}

static bool alarm_matches(const struct rtc *rtc, int64_t seconds)
{
    int64_t of_day = floor_mod(seconds, SECONDS_PER_DAY);
    const uint8_t *cmos = rtc->cmos;
    return alarm_field_matches(decode(rtc, cmos[REG_SECONDS_ALARM]), cmos[REG_SECONDS_ALARM],
                               (unsigned)(of_day % 60)) &&
           alarm_field_matches(decode(rtc, cmos[REG_MINUTES_ALARM]), cmos[REG_MINUTES_ALARM],
                               (unsigned)(of_day / 60 % 60)) &&
           alarm_field_matches(decode_hour(rtc, cmos[REG_HOURS_ALARM]), cmos[REG_HOURS_ALARM],
                               (unsigned)(of_day / 3600));
}

/* Periodic interrupt period in 1/32768 s units (0: off), from A's rate select. */
static unsigned periodic_period(const struct rtc *rtc)
{
    unsigned rate = rtc->reg_a & A_RATE;
    if (rate == 0 || (rtc->reg_a & A_DIVIDER) != A_DIVIDER_RUN)
        return 0;
    return rate <= 2 ? 1u << (rate + 6) : 1u << (rate - 1);
}

static uint64_t periodic_tick_now(const struct rtc *rtc, unsigned period)
{
    uint64_t ns = rtc->host->clock_ns(rtc->dev);
    uint64_t units =
        ns / NS_PER_SECOND * TIME_BASE_HZ + ns % NS_PER_SECOND * TIME_BASE_HZ / NS_PER_SECOND;
    return units / period;
}

static void update_flags(struct rtc *rtc)
{
    unsigned period = periodic_period(rtc);
    if (period) {
        uint64_t tick = periodic_tick_now(rtc, period);
        if (tick != rtc->periodic_tick)
            rtc->reg_c |= C_PF;
        rtc->periodic_tick = tick;
    }
    if (!clock_running(rtc))
        return;
    int64_t second = guest_now(rtc).seconds;
    if (second <= rtc->flags_second) {
        rtc->flags_second = second; /* the guest moved the clock back */
        return;
    }
    rtc->reg_c |= C_UF;
    /* Any alarm pattern recurs within a day, so a day of seconds is enough to look at. */
    int64_t first = second - rtc->flags_second > SECONDS_PER_DAY ? second - SECONDS_PER_DAY + 1
                                                                 : rtc->flags_second + 1;
    for (int64_t s = first; s <= second && !(rtc->reg_c & C_AF); s++) {
        if (alarm_matches(rtc, s))
            rtc->reg_c |= C_AF;
    }
    rtc->flags_second = second;
}

static bool interrupt_requested(const struct rtc *rtc)
{
    return (rtc->reg_c & rtc->reg_b & C_FLAGS) != 0;
}

static void update_irq(struct rtc *rtc)
{
    int level = interrupt_requested(rtc);
    if (rtc->irq_line < 0 || level == rtc->irq_level)
        return;
    rtc->irq_level = level;
    rtc->host->irq_set(rtc->dev, rtc->irq_line, level);
}

/* Arm the timer for the next event that would raise the line, if any can. */
static void schedule(struct rtc *rtc)
{
    if (!rtc->timer)
        return;
    rtc->host->timer_cancel(rtc->timer);
    if (interrupt_requested(rtc))
        return; /* already raised: the guest reads C first */

    uint64_t delay = 0;
    if ((rtc->reg_b & (B_UIE | B_AIE)) && clock_running(rtc))
        delay = (uint64_t)(NS_PER_SECOND - guest_now(rtc).ns) + 1000; /* just past the second */
    unsigned period = periodic_period(rtc);
    if ((rtc->reg_b & B_PIE) && period) {
        uint64_t period_ns = (uint64_t)period * NS_PER_SECOND / TIME_BASE_HZ;
        uint64_t until = period_ns - rtc->host->clock_ns(rtc->dev) % period_ns + 1000;
        if (!delay || until < delay)
            delay = until;
    }
    if (delay)
        rtc->host->timer_arm(rtc->timer, delay);
}

static void rtc_timer(void *opaque)
{
    struct rtc *rtc = opaque;
    update_flags(rtc);
    update_irq(rtc);
    schedule(rtc);
}

/* ---- registers ------------------------------------------------------------------------------ */

static uint8_t register_read(struct rtc *rtc, uint8_t reg)
{
    switch (reg) {
    case REG_A: {
        uint8_t uip = clock_running(rtc) && guest_now(rtc).ns >= NS_PER_SECOND - UIP_NS ? A_UIP : 0;
        return rtc->reg_a | uip;
    }
    case REG_B:
        return rtc->reg_b;
    case REG_C: {
        update_flags(rtc);
        uint8_t value = rtc->reg_c | (interrupt_requested(rtc) ? C_IRQF : 0);
        rtc->reg_c = 0; /* reading C acknowledges everything */
        update_irq(rtc);
        schedule(rtc);
        return value;
    }
    case REG_D:
        return D_VRT;
    default:
        break;
    }
    if (is_time_register(reg) && clock_running(rtc)) {
        struct date_time date;
        date_from_seconds(guest_now(rtc).seconds, &date);
        return time_register_now(rtc, &date, reg);
    }
    return rtc->cmos[reg];
}

static void register_write(struct rtc *rtc, uint8_t reg, uint8_t value)
{
    bool was_running = clock_running(rtc);
    bool divider_was_held = (rtc->reg_a & A_DIVIDER_HELD) == A_DIVIDER_HELD;
    int64_t fraction = guest_now(rtc).ns;

    switch (reg) {
    case REG_A: {
        unsigned old_period = periodic_period(rtc);
        rtc->reg_a = value & A_WRITABLE;
        unsigned period = periodic_period(rtc);
        if (period && period != old_period)
            rtc->periodic_tick = periodic_tick_now(rtc, period); /* count from now */
        break;
    }
    case REG_B:
        if (value & B_SET)
            value &= (uint8_t)~B_UIE; /* setting SET clears UIE, as on the chip */
        rtc->reg_b = value;
        break;
    case REG_C:
    case REG_D:
        rtc->host->guest_error(rtc->dev, "register %c is read-only; write of 0x%02x ignored",
                               reg == REG_C ? 'C' : 'D', value);
        return;
    default:
        if (is_time_register(reg) && was_running) {
            /* Writing a running clock: that field changes, the rest keep counting. */
            capture_time(rtc);
            rtc->cmos[reg] = value;
            load_time(rtc, fraction);
        } else {
            rtc->cmos[reg] = value;
        }
        update_irq(rtc);
        schedule(rtc);
        return;
    }

    bool running = clock_running(rtc);
    if (was_running && !running) {
        capture_time(rtc);
    } else if (!was_running && running) {
        /* Out of divider reset the first update comes half a second later (the chip's
         * rule, which Linux relies on when it sets the clock); out of SET the divider
         * kept running. */
        load_time(rtc, divider_was_held ? NS_PER_SECOND / 2 : fraction);
    }
    update_flags(rtc);
    update_irq(rtc);
    schedule(rtc);
}

enum { PORT_INDEX = 0, PORT_DATA = 1, WINDOW = 2 };

static uint64_t rtc_read(void *opaque, uint64_t offset, unsigned size)
{
    struct rtc *rtc = opaque;
    if (offset == PORT_INDEX)
        return 0xff; /* the index register is write-only */
    return register_read(rtc, rtc->index);
}

static void rtc_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct rtc *rtc = opaque;
    if (offset == PORT_INDEX)
        rtc->index = (uint8_t)(value & (CMOS_SIZE - 1)); /* bit 7 masks NMIs: nothing to mask */
    else
        register_write(rtc, rtc->index, (uint8_t)value);
}

static const struct vmb_region_ops rtc_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = rtc_read,
    .write = rtc_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void *rtc_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *base = host->prop_string(dev, "base");
    int64_t utc_offset = 0;
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    if (base && strcmp(base, "localtime") == 0) {
        struct tm local;
        if (!localtime_r(&now.tv_sec, &local)) {
            host->error(dev, "cannot read the host's local time zone");
            return NULL;
        }
        utc_offset = local.tm_gmtoff;
    } else if (!base || strcmp(base, "utc") != 0) {
        host->error(dev, "base '%s' is not utc or localtime", base ? base : "");
        return NULL;
    }
    struct rtc *rtc = calloc(1, sizeof(*rtc));
    if (!rtc) {
        host->error(dev, "out of memory");
        return NULL;
    }
    rtc->dev = dev;
    rtc->host = host;
    rtc->start_seconds = (int64_t)now.tv_sec + utc_offset;
    rtc->start_ns = now.tv_nsec;
    rtc->start_clock = host->clock_ns(dev);
    rtc->irq_line = host->device_irq(dev);
    /* What firmware leaves: 32.768 kHz time base, 1024 Hz periodic rate, 24-hour BCD. */
    rtc->reg_a = A_DIVIDER_RUN | 0x06;
    rtc->reg_b = B_24H;
    rtc->flags_second = guest_now(rtc).seconds;
    rtc->periodic_tick = periodic_tick_now(rtc, periodic_period(rtc));
    return rtc;
}

static int rtc_realize(void *opaque)
{
    struct rtc *rtc = opaque;
    enum vmb_space space;
    uint64_t base;

    if (rtc->host->device_address(rtc->dev, &space, &base) != 0) {
        rtc->host->error(rtc->dev, "needs an address: give it pio: 0x70");
        return -EINVAL;
    }
    if (rtc->irq_line >= 0) {
        rtc->timer = rtc->host->timer_new(rtc->dev, rtc_timer, rtc);
        if (!rtc->timer) {
            rtc->host->error(rtc->dev, "cannot create a timer");
            return -ENOMEM;
        }
    }
    return rtc->host->map_region(rtc->dev, space, base, WINDOW, &rtc_ops, rtc);
}

/* The chip's RESET pin: interrupt enables and flags clear; time, mode and RAM stay. */
static void rtc_reset(void *opaque)
{
    struct rtc *rtc = opaque;
    rtc->reg_b &= (uint8_t) ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    rtc->reg_c = 0;
    rtc->index = 0;
    update_irq(rtc);
    schedule(rtc);
}

static void rtc_destroy(void *opaque)
{
    struct rtc *rtc = opaque;
    if (rtc->timer)
        rtc->host->timer_free(rtc->timer);
    free(rtc);
}

static const struct vmb_prop_spec rtc_props[] = {
    {"base", VMB_PROP_STRING, "utc", 0,
     "what the clock starts at: utc (the host's UTC time) or localtime (the host's local time)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_fw_desc rtc_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "motorola,mc146818\0",
    .acpi_hid = "PNP0B00",
    .acpi_cid = NULL,
};

static const struct vmb_device_type rtc_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "rtc-cmos",
    .description = "MC146818 real-time clock and CMOS RAM, time from the host's clock",
    .flags = VMB_TYPE_PIO | VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = WINDOW,
    .irq_count = 1,
    .props = rtc_props,
    .fw = &rtc_fw,
    .create = rtc_create,
    .realize = rtc_realize,
    .reset = rtc_reset,
    .destroy = rtc_destroy,
};

static const struct vmb_device_type *const rtc_types[] = {&rtc_type, NULL};

static const struct vmb_plugin rtc_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "rtc-cmos",
    .version = "1.0",
    .types = rtc_types,
};

VMB_PLUGIN_DEFINE(rtc_plugin)

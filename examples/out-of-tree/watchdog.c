/* SPDX-License-Identifier: MIT */
/*
 * example-watchdog: a watchdog timer, written as a third-party vmboard plugin would be. It
 * needs nothing but <vmboard/plugin.h> and libc, and is built with
 *
 *     cc -shared -fPIC $(pkg-config --cflags vmboard-plugin) watchdog.c -o watchdog.so
 *
 * The guest enables it and must then kick it before the timeout runs out; if it does not, the
 * watchdog resets the board (or, as the board chooses, ends the run with a status, or only
 * logs). An optional pre-timeout interrupt warns the guest some time before that.
 *
 * Registers, 32 bits wide (narrower accesses are dropped or widened by the core, as declared
 * in the region ops below):
 *   +0x00 CTRL        bit 0 enable (starts the countdown), bit 1 pre-timeout interrupt enable
 *   +0x04 TIMEOUT     countdown length in ms, 1..3600000; used from the next enable or kick
 *   +0x08 PRETIMEOUT  interrupt this many ms before expiry (0: never; TIMEOUT or more: at
 *                     once)
 *   +0x0c KICK        write 0x4b43494b ("KICK") to restart the countdown; other values are
 *                     a guest error and do nothing
 *   +0x10 STATUS      bit 0 pre-timeout happened; write 1 to clear (and lower the line)
 *   +0x14 REMAINING   ms left before expiry, 0 while disabled (read-only)
 *   +0x18 ID          0x31544457 ("WDT1", read-only)
 *
 * The interrupt line is high while STATUS bit 0 and CTRL bit 1 are both set.
 *
 * Threading: the type is not VMB_TYPE_THREAD_SAFE, so the core serialises the register
 * handlers (vCPU threads) and the timer callback (I/O thread): no locks here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

#define REG_CTRL       0x00
#define REG_TIMEOUT    0x04
#define REG_PRETIMEOUT 0x08
#define REG_KICK       0x0c
#define REG_STATUS     0x10
#define REG_REMAINING  0x14
#define REG_ID         0x18
#define WINDOW_SIZE    0x20

#define CTRL_ENABLE       0x1u
#define CTRL_IRQ_ENABLE   0x2u
#define CTRL_MASK         (CTRL_ENABLE | CTRL_IRQ_ENABLE)
#define STATUS_PRETIMEOUT 0x1u

#define KICK_MAGIC     0x4b43494bu
#define WATCHDOG_ID    0x31544457u
#define MAX_TIMEOUT_MS 3600000u
#define NS_PER_MS      1000000ull

enum action {
    ACTION_RESET,
    ACTION_EXIT,
    ACTION_NONE,
};

struct watchdog {
    vmb_device *dev;
    const struct vmb_host *host;
    int irq; /* -1: the board gave none */
    enum action action;
    int exit_status;
    bool nowayout; /* once enabled, the guest cannot disable it */
    uint32_t power_on_timeout_ms;
    vmb_timer *timer;

    uint32_t ctrl, timeout_ms, pretimeout_ms, status;
    uint64_t expiry_ns; /* clock_ns() at which it expires, while enabled */
    bool warned;        /* the pre-timeout of this countdown has fired */
    bool irq_level;
};

static const struct vmb_prop_spec watchdog_props[] = {
    {"timeout-ms", VMB_PROP_UINT, "1000", 0, "TIMEOUT at power-on, in ms (1..3600000)"},
    {"action", VMB_PROP_STRING, "reset", 0,
     "what expiry does: reset (the board), exit (end the run with exit-status) or none"},
    {"exit-status", VMB_PROP_UINT, "1", 0, "vmboard's exit status when action is exit"},
    {"nowayout", VMB_PROP_BOOL, "false", 0, "once enabled, the guest cannot disable it"},
    {NULL, 0, NULL, 0, NULL},
};

/* ---- the countdown ---------------------------------------------------------------------- */

static void update_irq(struct watchdog *wd)
{
    bool level = (wd->status & STATUS_PRETIMEOUT) && (wd->ctrl & CTRL_IRQ_ENABLE);
    if (wd->irq < 0 || level == wd->irq_level)
        return;
    wd->irq_level = level;
    wd->host->irq_set(wd->dev, wd->irq, level);
}

/* Arm the timer for the next thing that can happen: the pre-timeout, or the expiry. */
static void schedule(struct watchdog *wd)
{
    uint64_t now = wd->host->clock_ns(wd->dev);
    uint64_t next = wd->expiry_ns;
    uint64_t warning = (uint64_t)wd->pretimeout_ms * NS_PER_MS;

    /* A pre-timeout as long as the timeout or longer warns at once. */
    if (!wd->warned && warning)
        next = wd->expiry_ns > warning ? wd->expiry_ns - warning : 0;
    wd->host->timer_arm(wd->timer, next > now ? next - now : 0);
}

static void start_countdown(struct watchdog *wd)
{
    wd->expiry_ns = wd->host->clock_ns(wd->dev) + (uint64_t)wd->timeout_ms * NS_PER_MS;
    wd->warned = false;
    schedule(wd);
}

static void expire(struct watchdog *wd)
{
    static const char *const names[] = {"resetting the board", "ending the run", "no action"};

    wd->host->log(wd->dev, VMB_LOG_WARN, "expired: the guest did not kick it for %u ms; %s",
                  wd->timeout_ms, names[wd->action]);
    /* A fired watchdog stops counting: the guest (after a reset) must enable it again. */
    wd->ctrl &= ~CTRL_ENABLE;
    if (wd->action == ACTION_RESET)
        wd->host->request_reset(wd->dev);
    else if (wd->action == ACTION_EXIT)
        wd->host->request_exit(wd->dev, wd->exit_status);
}

/* Timer callback, on the I/O thread. */
static void timer_fired(void *opaque)
{
    struct watchdog *wd = opaque;
    uint64_t now = wd->host->clock_ns(wd->dev);

    if (!(wd->ctrl & CTRL_ENABLE))
        return;
    if (now >= wd->expiry_ns) {
        expire(wd);
        return;
    }
    if (!wd->warned && wd->pretimeout_ms) {
        wd->warned = true;
        wd->status |= STATUS_PRETIMEOUT;
        update_irq(wd);
    }
    schedule(wd);
}

/* ---- registers (vCPU threads) ----------------------------------------------------------- */

static uint32_t remaining_ms(struct watchdog *wd)
{
    uint64_t now = wd->host->clock_ns(wd->dev);

    if (!(wd->ctrl & CTRL_ENABLE) || now >= wd->expiry_ns)
        return 0;
    return (uint32_t)((wd->expiry_ns - now + NS_PER_MS - 1) / NS_PER_MS);
}

static uint64_t watchdog_read(void *opaque, uint64_t offset, unsigned size)
{
    struct watchdog *wd = opaque;

    (void)size; /* always 4: the region ops say so */
    switch (offset) {
    case REG_CTRL:
        return wd->ctrl;
    case REG_TIMEOUT:
        return wd->timeout_ms;
    case REG_PRETIMEOUT:
        return wd->pretimeout_ms;
    case REG_STATUS:
        return wd->status;
    case REG_REMAINING:
        return remaining_ms(wd);
    case REG_ID:
        return WATCHDOG_ID;
    }
    return 0; /* KICK and the unused words read as zero */
}

static void write_ctrl(struct watchdog *wd, uint32_t value)
{
    uint32_t old = wd->ctrl;

    if (value & ~CTRL_MASK)
        wd->host->guest_error(wd->dev, "CTRL: reserved bits 0x%x ignored", value & ~CTRL_MASK);
    if (wd->nowayout && (old & CTRL_ENABLE) && !(value & CTRL_ENABLE)) {
        wd->host->guest_error(wd->dev, "CTRL: cannot disable: the board set nowayout");
        value |= CTRL_ENABLE;
    }
    wd->ctrl = value & CTRL_MASK;
    if ((wd->ctrl & CTRL_ENABLE) && !(old & CTRL_ENABLE))
        start_countdown(wd);
    else if (!(wd->ctrl & CTRL_ENABLE))
        wd->host->timer_cancel(wd->timer);
    update_irq(wd);
}

static void watchdog_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct watchdog *wd = opaque;
    uint32_t v = (uint32_t)value;

    (void)size;
    switch (offset) {
    case REG_CTRL:
        write_ctrl(wd, v);
        break;
    case REG_TIMEOUT:
        if (v == 0 || v > MAX_TIMEOUT_MS) {
            wd->host->guest_error(wd->dev, "TIMEOUT %u ms refused (1..%u)", v, MAX_TIMEOUT_MS);
            break;
        }
        wd->timeout_ms = v;
        break;
    case REG_PRETIMEOUT:
        wd->pretimeout_ms = v;
        if (wd->ctrl & CTRL_ENABLE)
            schedule(wd);
        break;
    case REG_KICK:
        if (v != KICK_MAGIC) {
            wd->host->guest_error(wd->dev, "KICK: wrong value 0x%08x (expected 0x%08x)", v,
                                  KICK_MAGIC);
            break;
        }
        if (wd->ctrl & CTRL_ENABLE)
            start_countdown(wd);
        break;
    case REG_STATUS:
        wd->status &= ~(v & STATUS_PRETIMEOUT);
        update_irq(wd);
        break;
    default:
        wd->host->guest_error(wd->dev, "write to read-only or unused offset 0x%02x ignored",
                              (unsigned)offset);
    }
}

static const struct vmb_region_ops watchdog_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = watchdog_read,
    .write = watchdog_write,
    .min_access = 4,
    .max_access = 4,
};

/* ---- lifecycle (main thread) ------------------------------------------------------------ */

static void *watchdog_create(vmb_device *dev, const struct vmb_host *host)
{
    uint64_t timeout = host->prop_uint(dev, "timeout-ms");
    uint64_t exit_status = host->prop_uint(dev, "exit-status");
    const char *action = host->prop_string(dev, "action");
    enum action parsed;

    if (strcmp(action, "reset") == 0) {
        parsed = ACTION_RESET;
    } else if (strcmp(action, "exit") == 0) {
        parsed = ACTION_EXIT;
    } else if (strcmp(action, "none") == 0) {
        parsed = ACTION_NONE;
    } else {
        host->error(dev, "action '%s' is not reset, exit or none", action);
        return NULL;
    }
    if (timeout == 0 || timeout > MAX_TIMEOUT_MS) {
        host->error(dev, "timeout-ms %llu is out of range (1..%u)", (unsigned long long)timeout,
                    MAX_TIMEOUT_MS);
        return NULL;
    }
    if (exit_status > 255) {
        host->error(dev, "exit-status %llu is out of range (0..255)",
                    (unsigned long long)exit_status);
        return NULL;
    }

    struct watchdog *wd = calloc(1, sizeof(*wd));
    if (!wd) {
        host->error(dev, "out of memory");
        return NULL;
    }
    wd->dev = dev;
    wd->host = host;
    wd->irq = host->device_irq(dev);
    wd->action = parsed;
    wd->exit_status = (int)exit_status;
    wd->nowayout = host->prop_bool(dev, "nowayout");
    wd->power_on_timeout_ms = (uint32_t)timeout;
    return wd;
}

static void watchdog_reset(void *opaque)
{
    struct watchdog *wd = opaque;

    wd->host->timer_cancel(wd->timer);
    wd->ctrl = 0;
    wd->timeout_ms = wd->power_on_timeout_ms;
    wd->pretimeout_ms = 0;
    wd->status = 0;
    wd->warned = false;
    update_irq(wd);
}

static int watchdog_realize(void *opaque)
{
    struct watchdog *wd = opaque;
    enum vmb_space space;
    uint64_t base;

    if (wd->host->device_address(wd->dev, &space, &base) != 0) {
        wd->host->error(wd->dev, "needs an address: give it mmio: ADDRESS or pio: PORT");
        return -EINVAL;
    }
    wd->timer = wd->host->timer_new(wd->dev, timer_fired, wd);
    if (!wd->timer) {
        wd->host->error(wd->dev, "cannot create its timer");
        return -ENOMEM;
    }
    int ret = wd->host->map_region(wd->dev, space, base, WINDOW_SIZE, &watchdog_ops, wd);
    if (ret != 0)
        return ret; /* the core recorded why */
    watchdog_reset(wd);
    return 0;
}

static void watchdog_destroy(void *opaque)
{
    struct watchdog *wd = opaque;

    if (wd->timer)
        wd->host->timer_free(wd->timer);
    free(wd);
}

static const struct vmb_device_type watchdog_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "example-watchdog",
    .description = "watchdog timer: resets the board (or ends the run) unless kicked in time",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = WINDOW_SIZE,
    .irq_count = 1,
    .props = watchdog_props,
    .create = watchdog_create,
    .realize = watchdog_realize,
    .reset = watchdog_reset,
    .destroy = watchdog_destroy,
};

static const struct vmb_device_type *const watchdog_types[] = {&watchdog_type, NULL};

static const struct vmb_plugin watchdog_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "example-watchdog",
    .version = "1.0",
    .types = watchdog_types,
};

VMB_PLUGIN_DEFINE(watchdog_plugin)

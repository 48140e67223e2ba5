/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test plugin for the harness itself: a device that uses every host service the harness
 * fakes (timers on the virtual clock, interrupt pulses, guest-memory writes, console output
 * and flow-controlled console input, exit and reset requests), with registers that expose what
 * happened.
 *
 * Registers (8 bytes wide, accesses of 1 to 8 bytes):
 *   +0x00 W arm timer 0 to fire `value` ns from now      R fires of timer 0
 *   +0x08 W arm timer 1 to fire `value` ns from now      R fires of timer 1
 *   +0x10 W cancel timer `value`                         R the clock (host->clock_ns)
 *   +0x18 W timer 0 re-arms itself this many ns after each firing, at most 4 times (0: never)
 *   +0x20 W send the low `size` bytes to the console     R next input byte, or 0x100 if none
 *   +0x28 R input bytes held
 *   +0x30 W request exit with status `value`
 *   +0x38 W request a machine reset
 * Each firing appends {u32 timer, u32 firing number, u64 clock} at `log-address` in guest
 * memory and pulses the interrupt line, if the board gave one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

#define INPUT_SIZE 64
#define MAX_REARMS 4

struct probe;

struct probe_timer {
    struct probe *probe;
    unsigned index;
    vmb_timer *timer;
    uint64_t fires;
};

struct probe {
    vmb_device *dev;
    const struct vmb_host *host;
    char console_spec[256];
    uint64_t log_address;
    uint64_t input_chunk;
    int irq;
    struct probe_timer timers[2];
    uint64_t rearm_delay;
    unsigned rearms;
    uint32_t log_count;
    vmb_console *console;
    uint8_t input[INPUT_SIZE];
    size_t input_len;
    int refused;
};

static void timer_fired(void *opaque)
{
    struct probe_timer *t = opaque;
    struct probe *probe = t->probe;
    uint8_t record[16];
    uint64_t now = probe->host->clock_ns(probe->dev);

    t->fires++;
    uint32_t index = t->index, number = probe->log_count;
    memcpy(record, &index, 4);
    memcpy(record + 4, &number, 4);
    memcpy(record + 8, &now, 8);
    if (probe->host->mem_write(probe->dev, probe->log_address + 16ull * probe->log_count, record,
                               sizeof(record)) == 0)
        probe->log_count++;
    if (probe->irq >= 0)
        probe->host->irq_pulse(probe->dev, probe->irq);
    if (t->index == 0 && probe->rearm_delay && probe->rearms < MAX_REARMS) {
        probe->rearms++;
        probe->host->timer_arm(t->timer, probe->rearm_delay);
    }
}

static size_t probe_input(void *opaque, const uint8_t *buf, size_t len)
{
    struct probe *probe = opaque;
    size_t room = INPUT_SIZE - probe->input_len;
    size_t take = len < room ? len : room;

    if (probe->input_chunk && take > probe->input_chunk)
        take = probe->input_chunk;
    memcpy(probe->input + probe->input_len, buf, take);
    probe->input_len += take;
    if (take < len)
        probe->refused = 1;
    return take;
}

static uint64_t probe_read(void *opaque, uint64_t offset, unsigned size)
{
    struct probe *probe = opaque;

    switch (offset) {
    case 0x00:
    case 0x08:
        return probe->timers[offset / 8].fires;
    case 0x10:
        return probe->host->clock_ns(probe->dev);
    case 0x20: {
        if (!probe->input_len)
            return 0x100;
        uint8_t byte = probe->input[0];
        memmove(probe->input, probe->input + 1, --probe->input_len);
        if (probe->refused && probe->console) {
            probe->refused = 0;
            probe->host->console_accept(probe->console);
        }
        return byte;
    }
    case 0x28:
        return probe->input_len;
    }
    return 0;
}

static void probe_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct probe *probe = opaque;
    uint8_t bytes[8];

    switch (offset) {
    case 0x00:
    case 0x08:
        probe->host->timer_arm(probe->timers[offset / 8].timer, value);
        break;
    case 0x10:
        if (value < 2)
            probe->host->timer_cancel(probe->timers[value].timer);
        break;
    case 0x18:
        probe->rearm_delay = value;
        probe->rearms = 0;
        break;
    case 0x20:
        for (unsigned i = 0; i < size; i++)
            bytes[i] = (uint8_t)(value >> (8 * i));
        probe->host->console_write(probe->console, bytes, size);
        break;
    case 0x30:
        probe->host->request_exit(probe->dev, (int)value);
        break;
    case 0x38:
        probe->host->request_reset(probe->dev);
        break;
    default:
        probe->host->guest_error(probe->dev, "write to +0x%llx ignored",
                                 (unsigned long long)offset);
    }
}

static const struct vmb_region_ops probe_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = probe_read,
    .write = probe_write,
    .min_access = 1,
    .max_access = 8,
};

static void *probe_create(vmb_device *dev, const struct vmb_host *host)
{
    struct probe *probe = calloc(1, sizeof(*probe));
    if (!probe) {
        host->error(dev, "out of memory");
        return NULL;
    }
    probe->dev = dev;
    probe->host = host;
    strncpy(probe->console_spec, host->prop_string(dev, "console"),
            sizeof(probe->console_spec) - 1);
    probe->log_address = host->prop_uint(dev, "log-address");
    probe->input_chunk = host->prop_uint(dev, "input-chunk");
    probe->irq = host->device_irq(dev);
    return probe;
}

static int probe_realize(void *opaque)
{
    struct probe *probe = opaque;
    enum vmb_space space;
    uint64_t base;

    for (unsigned i = 0; i < 2; i++) {
        probe->timers[i].probe = probe;
        probe->timers[i].index = i;
        probe->timers[i].timer = probe->host->timer_new(probe->dev, timer_fired, &probe->timers[i]);
    }
    probe->console = probe->host->console_open(probe->dev, probe->console_spec, probe_input, probe);
    if (!probe->console)
        return -EINVAL;
    if (probe->host->device_address(probe->dev, &space, &base) != 0) {
        probe->host->error(probe->dev, "needs mmio: or pio:");
        return -EINVAL;
    }
    return probe->host->map_region(probe->dev, space, base, 0x40, &probe_ops, probe);
}

static void probe_reset(void *opaque)
{
    struct probe *probe = opaque;
    for (unsigned i = 0; i < 2; i++) {
        probe->host->timer_cancel(probe->timers[i].timer);
        probe->timers[i].fires = 0;
    }
    probe->rearm_delay = 0;
    probe->log_count = 0;
}

static void probe_destroy(void *opaque)
{
    struct probe *probe = opaque;
    for (unsigned i = 0; i < 2; i++)
        probe->host->timer_free(probe->timers[i].timer);
    probe->host->console_close(probe->console);
    free(probe);
}

static const struct vmb_prop_spec probe_props[] = {
    {"console", VMB_PROP_STRING, "stdio", 0, "console backend"},
    {"log-address", VMB_PROP_UINT, "0x1000", 0, "guest address of the timer log"},
    {"input-chunk", VMB_PROP_UINT, "0", 0, "take at most this many input bytes at once (0: all)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type probe_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-probe",
    .description = "exposes what the host services did, for harness tests",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 0x40,
    .irq_count = 1,
    .props = probe_props,
    .create = probe_create,
    .realize = probe_realize,
    .reset = probe_reset,
    .destroy = probe_destroy,
};

static const struct vmb_device_type *const probe_types[] = {&probe_type, NULL};

static const struct vmb_plugin probe_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-probe",
    .version = "1.0",
    .types = probe_types,
};

VMB_PLUGIN_DEFINE(probe_plugin)

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * i8042: the PC's keyboard controller, with no keyboard or mouse attached. It is here for
 * what operating systems use it for on a machine without a keyboard: rebooting (command 0xFE,
 * or an output-port write with the reset line low, pulses the CPU reset line) and the A20
 * gate. Data port at the board's `pio:` (0x60), status and command port 4 above it (0x64).
 *
 * The controller side is answered as a real one would, so a driver that probes it does not
 * hang: the command byte, self tests, port enables, the output port, and writing into its own
 * output buffer. Bytes sent to the (absent) keyboard or mouse come back as 0xFF with the
 * status register's timeout bit set, which is how a controller reports that nothing answered.
 *
 * Interrupt: keyboard data raises the optional line (`irq:`, 1 on a PC) while it waits in the
 * output buffer and the command byte enables it. The mouse interrupt (12) is not modelled:
 * with no mouse, only the guest's own 0xD3 loopback could produce mouse data.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <vmboard/plugin.h>

#define PORT_DATA    0 /* offset from the board's pio: base */
#define PORT_STATUS  4 /* status (read) and command (write) */
#define PC_DATA_PORT 0x60

#define STATUS_OUTPUT_FULL 0x01
#define STATUS_SYSTEM      0x04 /* mirrors the command byte's system flag */
#define STATUS_COMMAND     0x08 /* the last write went to the command port */
#define STATUS_UNLOCKED    0x10 /* keyboard not inhibited by a key lock */
#define STATUS_AUX_DATA    0x20 /* the output buffer holds mouse data */
#define STATUS_TIMEOUT     0x40

#define CTR_KBD_INTERRUPT 0x01
#define CTR_SYSTEM        0x04
#define CTR_KBD_DISABLED  0x10
#define CTR_AUX_DISABLED  0x20
#define CTR_DEFAULT       0x65 /* translation, mouse off, system flag, keyboard interrupt */

#define OUTPUT_PORT_RESET   0x01 /* active low: 0 holds the CPU in reset */
#define OUTPUT_PORT_A20     0x02
#define OUTPUT_PORT_DEFAULT (OUTPUT_PORT_RESET | OUTPUT_PORT_A20)

enum {
    CMD_READ_RAM = 0x20,  /* 0x20-0x3f: read controller RAM byte (0x20: command byte) */
    CMD_WRITE_RAM = 0x60, /* 0x60-0x7f: write controller RAM byte */
    CMD_AUX_DISABLE = 0xa7,
    CMD_AUX_ENABLE = 0xa8,
    CMD_AUX_TEST = 0xa9,
    CMD_SELF_TEST = 0xaa,
    CMD_KBD_TEST = 0xab,
    CMD_KBD_DISABLE = 0xad,
    CMD_KBD_ENABLE = 0xae,
    CMD_READ_OUTPUT_PORT = 0xd0,
    CMD_WRITE_OUTPUT_PORT = 0xd1,
    CMD_WRITE_KBD_BUFFER = 0xd2,
    CMD_WRITE_AUX_BUFFER = 0xd3,
    CMD_WRITE_AUX = 0xd4,
    CMD_PULSE = 0xf0, /* 0xf0-0xff: pulse output port bits 0-3 that are 0 in the command */
};

#define RAM_SIZE        32
#define SELF_TEST_OK    0x55
#define PORT_TEST_OK    0x00
#define NO_DEVICE_REPLY 0xff

struct i8042 {
    vmb_device *dev;
    const struct vmb_host *host;
    int irq_line; /* -1: none */
    uint64_t base;

    uint8_t ram[RAM_SIZE]; /* ram[0] is the command byte */
    uint8_t output_port;
    uint8_t output; /* output buffer: what the data port reads */
    bool output_full;
    bool output_aux;
    bool timeout;
    bool last_write_command;
    uint8_t pending; /* command waiting for its data byte; 0 when none */
    int irq_level;
};

static void update_irq(struct i8042 *kbc)
{
    int level = kbc->output_full && !kbc->output_aux && (kbc->ram[0] & CTR_KBD_INTERRUPT);
    if (kbc->irq_line < 0 || level == kbc->irq_level)
        return;
    kbc->irq_level = level;
    kbc->host->irq_set(kbc->dev, kbc->irq_line, level);
}

/* A byte for the guest; it replaces one still unread, as nothing waits here. */
static void put_output(struct i8042 *kbc, uint8_t value, bool aux, bool timeout)
{
    kbc->output = value;
    kbc->output_full = true;
    kbc->output_aux = aux;
    kbc->timeout = timeout;
    update_irq(kbc);
}

static void pulse_reset(struct i8042 *kbc, const char *how)
{
    kbc->host->request_reset(kbc->dev);
    kbc->host->log(kbc->dev, VMB_LOG_INFO, "guest reset the machine (%s)", how);
}

static uint8_t status(const struct i8042 *kbc)
{
    uint8_t value = STATUS_UNLOCKED;
    if (kbc->output_full)
        value |= STATUS_OUTPUT_FULL;
    if (kbc->ram[0] & CTR_SYSTEM)
        value |= STATUS_SYSTEM;
    if (kbc->last_write_command)
        value |= STATUS_COMMAND;
    if (kbc->output_full && kbc->output_aux)
        value |= STATUS_AUX_DATA;
    if (kbc->timeout)
        value |= STATUS_TIMEOUT;
    return value; /* the input buffer is never full: we take every byte at once */
}

static void command(struct i8042 *kbc, uint8_t cmd)
{
    if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + RAM_SIZE) {
        put_output(kbc, kbc->ram[cmd - CMD_READ_RAM], false, false);
        return;
    }
    if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
        kbc->pending = cmd;
        return;
    }
    if (cmd >= CMD_PULSE) {
        if (!(cmd & OUTPUT_PORT_RESET))
            pulse_reset(kbc, "keyboard controller command 0xfe");
        return;
    }
    switch (cmd) {
    case CMD_AUX_DISABLE:
        kbc->ram[0] |= CTR_AUX_DISABLED;
        break;
    case CMD_AUX_ENABLE:
        kbc->ram[0] &= (uint8_t)~CTR_AUX_DISABLED;
        break;
    case CMD_AUX_TEST:
    case CMD_KBD_TEST:
        put_output(kbc, PORT_TEST_OK, false, false);
        break;
    case CMD_SELF_TEST:
        kbc->ram[0] |= CTR_SYSTEM;
        put_output(kbc, SELF_TEST_OK, false, false);
        break;
    case CMD_KBD_DISABLE:
        kbc->ram[0] |= CTR_KBD_DISABLED;
        break;
    case CMD_KBD_ENABLE:
        kbc->ram[0] &= (uint8_t)~CTR_KBD_DISABLED;
        break;
    case CMD_READ_OUTPUT_PORT:
        put_output(kbc, kbc->output_port, false, false);
        break;
    case CMD_WRITE_OUTPUT_PORT:
    case CMD_WRITE_KBD_BUFFER:
    case CMD_WRITE_AUX_BUFFER:
    case CMD_WRITE_AUX:
        kbc->pending = cmd;
        break;
    default:
        kbc->host->guest_error(kbc->dev, "unknown controller command 0x%02x ignored", cmd);
        break;
    }
}

static void data(struct i8042 *kbc, uint8_t value)
{
    uint8_t pending = kbc->pending;
    kbc->pending = 0;

    if (pending >= CMD_WRITE_RAM && pending < CMD_WRITE_RAM + RAM_SIZE) {
        kbc->ram[pending - CMD_WRITE_RAM] = value;
        if (pending == CMD_WRITE_RAM)
            update_irq(kbc); /* the interrupt enable may have changed */
        return;
    }
    switch (pending) {
    case CMD_WRITE_OUTPUT_PORT:
        kbc->output_port = value;
        if (!(value & OUTPUT_PORT_RESET))
            pulse_reset(kbc, "keyboard controller output port");
        break;
    case CMD_WRITE_KBD_BUFFER:
        put_output(kbc, value, false, false);
        break;
    case CMD_WRITE_AUX_BUFFER:
        put_output(kbc, value, true, false);
        break;
    case CMD_WRITE_AUX:
        put_output(kbc, NO_DEVICE_REPLY, true, true); /* no mouse answers */
        break;
    default:
        put_output(kbc, NO_DEVICE_REPLY, false, true); /* no keyboard answers */
        break;
    }
}

/* Two one-port regions, data and status/command, 4 ports apart. The type's window is the
 * data port only: the ports in between belong to others (0x61 is the PC speaker port). */
static uint64_t data_port_read(void *opaque, uint64_t offset, unsigned size)
{
    struct i8042 *kbc = opaque;

    /* Reading empties the output buffer; the byte stays readable. */
    kbc->output_full = false;
    kbc->timeout = false;
    update_irq(kbc);
    return kbc->output;
}

static void data_port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct i8042 *kbc = opaque;

    kbc->last_write_command = false;
    data(kbc, (uint8_t)value);
}

static uint64_t status_port_read(void *opaque, uint64_t offset, unsigned size)
{
    return status(opaque);
}

static void command_port_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct i8042 *kbc = opaque;

    kbc->last_write_command = true;
    command(kbc, (uint8_t)value);
}

static const struct vmb_region_ops data_port_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = data_port_read,
    .write = data_port_write,
    .min_access = 1,
    .max_access = 1,
};

static const struct vmb_region_ops command_port_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = status_port_read,
    .write = command_port_write,
    .min_access = 1,
    .max_access = 1,
};

static void *i8042_create(vmb_device *dev, const struct vmb_host *host)
{
    struct i8042 *kbc = calloc(1, sizeof(*kbc));
    if (!kbc) {
        host->error(dev, "out of memory");
        return NULL;
    }
    kbc->dev = dev;
    kbc->host = host;
    kbc->irq_line = host->device_irq(dev);
    return kbc;
}

static int i8042_realize(void *opaque)
{
    struct i8042 *kbc = opaque;
    enum vmb_space space;

    if (kbc->host->device_address(kbc->dev, &space, &kbc->base) != 0 || space != VMB_SPACE_PIO) {
        kbc->host->error(kbc->dev, "needs its data port: give it pio: 0x60");
        return -EINVAL;
    }
    if (kbc->base != PC_DATA_PORT)
        kbc->host->log(kbc->dev, VMB_LOG_WARN,
                       "data port at 0x%llx, status/command port at 0x%llx: a PC's are 0x60 "
                       "and 0x64 (pio: is the data port)",
                       (unsigned long long)kbc->base, (unsigned long long)kbc->base + PORT_STATUS);
    int err = kbc->host->map_region(kbc->dev, VMB_SPACE_PIO, kbc->base + PORT_DATA, 1,
                                    &data_port_ops, kbc);
    if (err)
        return err;
    return kbc->host->map_region(kbc->dev, VMB_SPACE_PIO, kbc->base + PORT_STATUS, 1,
                                 &command_port_ops, kbc);
}

static void i8042_reset(void *opaque)
{
    struct i8042 *kbc = opaque;

    for (int i = 0; i < RAM_SIZE; i++)
        kbc->ram[i] = 0;
    kbc->ram[0] = CTR_DEFAULT;
    kbc->output_port = OUTPUT_PORT_DEFAULT;
    kbc->output = 0;
    kbc->output_full = false;
    kbc->output_aux = false;
    kbc->timeout = false;
    kbc->last_write_command = false;
    kbc->pending = 0;
    update_irq(kbc);
}

static void i8042_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_prop_spec i8042_props[] = {
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type i8042_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "i8042",
    .description = "PC keyboard controller without keyboard: reset (0xfe at port 0x64), A20",
    .flags = VMB_TYPE_PIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 1, /* the data port; the status/command port is base + 4 */
    .irq_count = 1,
    .props = i8042_props,
    /* Not in the firmware tables: with no keyboard there is nothing for a driver to find. */
    .fw = NULL,
    .create = i8042_create,
    .realize = i8042_realize,
    .reset = i8042_reset,
    .destroy = i8042_destroy,
};

static const struct vmb_device_type *const i8042_types[] = {&i8042_type, NULL};

static const struct vmb_plugin i8042_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "i8042",
    .version = "1.0",
    .types = i8042_types,
};

VMB_PLUGIN_DEFINE(i8042_plugin)

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi-power: the sleep control, sleep status and reset registers that a hardware-reduced
 * ACPI machine's FADT points at (SLEEP_CONTROL_REG, SLEEP_STATUS_REG, RESET_REG). The x86_64
 * backend finds this device by its type name and writes its addresses into the FADT, and
 * declares \_S5 with sleep type 5, so a guest OS powers off and reboots through it:
 *
 *   offset 0  sleep control  write: SLP_TYP (bits 2-4) | SLP_EN (bit 5); reads 0
 *   offset 1  sleep status   bit 7 WAK_STS, write 1 to clear
 *   offset 2  reset          write 0x01: reset the machine; reads 0
 *   offset 3  reserved       reads 0, writes ignored
 *
 * SLP_EN with SLP_TYP 5 (S5, soft off) ends vmboard with exit status 0. The tables declare no
 * other sleep state; a guest that enters one anyway is woken at once (WAK_STS set), since
 * there is nothing that could wake it later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <vmboard/plugin.h>

enum {
    REG_SLEEP_CONTROL = 0,
    REG_SLEEP_STATUS = 1,
    REG_RESET = 2,
    REG_RESERVED = 3,
    WINDOW = 4,
};

#define SLEEP_TYPE_SHIFT 2
#define SLEEP_TYPE_MASK  0x1c
#define SLEEP_ENABLE     0x20
#define WAKE_STATUS      0x80
#define SLEEP_TYPE_S5    5    /* what the DSDT's \_S5 says */
#define RESET_VALUE      0x01 /* the FADT's RESET_VALUE */

struct acpi_power {
    vmb_device *dev;
    const struct vmb_host *host;
    uint8_t sleep_status;
};

static uint64_t acpi_power_read(void *opaque, uint64_t offset, unsigned size)
{
    struct acpi_power *power = opaque;
    return offset == REG_SLEEP_STATUS ? power->sleep_status : 0;
}

static void sleep_control_write(struct acpi_power *power, uint8_t value)
{
    if (!(value & SLEEP_ENABLE))
        return; /* SLP_TYP alone does nothing until SLP_EN is written with it */
    unsigned type = (value & SLEEP_TYPE_MASK) >> SLEEP_TYPE_SHIFT;
    if (type == SLEEP_TYPE_S5) {
        power->host->request_exit(power->dev, 0); /* first: it flushes the guest's output */
        power->host->log(power->dev, VMB_LOG_INFO, "guest powered off (S5)");
        return;
    }
    power->host->guest_error(power->dev,
                             "sleep type %u requested, but only S5 (type 5) is declared; "
                             "waking up at once",
                             type);
    power->sleep_status |= WAKE_STATUS;
}

static void acpi_power_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct acpi_power *power = opaque;

    switch (offset) {
    case REG_SLEEP_CONTROL:
        sleep_control_write(power, (uint8_t)value);
        break;
    case REG_SLEEP_STATUS:
        power->sleep_status &= (uint8_t) ~(value & WAKE_STATUS);
        break;
    case REG_RESET:
        if (value == RESET_VALUE) {
            power->host->request_reset(power->dev);
            power->host->log(power->dev, VMB_LOG_INFO, "guest asked for a reset");
        } else {
            power->host->guest_error(power->dev,
                                     "reset register: wrote 0x%02x, the reset value is 0x%02x; "
                                     "ignored",
                                     (unsigned)value, RESET_VALUE);
        }
        break;
    default:
        power->host->guest_error(power->dev, "write of 0x%02x to reserved offset %u ignored",
                                 (unsigned)value, (unsigned)offset);
        break;
    }
}

static const struct vmb_region_ops acpi_power_ops = {
    .size = sizeof(struct vmb_region_ops),
    .read = acpi_power_read,
    .write = acpi_power_write,
    .min_access = 1,
    .max_access = 1,
};

static void *acpi_power_create(vmb_device *dev, const struct vmb_host *host)
{
    struct acpi_power *power = calloc(1, sizeof(*power));
    if (!power) {
        host->error(dev, "out of memory");
        return NULL;
    }
    power->dev = dev;
    power->host = host;
    return power;
}

static int acpi_power_realize(void *opaque)
{
    struct acpi_power *power = opaque;
    enum vmb_space space;
    uint64_t base;

    if (power->host->device_address(power->dev, &space, &base) != 0) {
        power->host->error(power->dev, "needs an address: give it pio: PORT or mmio: ADDRESS");
        return -EINVAL;
    }
    return power->host->map_region(power->dev, space, base, WINDOW, &acpi_power_ops, power);
}

static void acpi_power_reset(void *opaque)
{
    struct acpi_power *power = opaque;
    power->sleep_status = 0;
}

static void acpi_power_destroy(void *opaque)
{
    free(opaque);
}

static const struct vmb_prop_spec acpi_power_props[] = {
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type acpi_power_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "acpi-power",
    .description = "ACPI sleep control/status and reset registers: guest power-off and reboot",
    .flags = VMB_TYPE_PIO | VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = WINDOW,
    .irq_count = 0,
    .props = acpi_power_props,
    .fw = NULL, /* the FADT points at it; it is no DSDT device */
    .create = acpi_power_create,
    .realize = acpi_power_realize,
    .reset = acpi_power_reset,
    .destroy = acpi_power_destroy,
};

static const struct vmb_device_type *const acpi_power_types[] = {&acpi_power_type, NULL};

static const struct vmb_plugin acpi_power_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "acpi-power",
    .version = "1.0",
    .types = acpi_power_types,
};

VMB_PLUGIN_DEFINE(acpi_power_plugin)

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pl011: the ARM PrimeCell UART (PL011 r1p5), the console of arm64 boards.
 *
 * Transmission is instantaneous: a byte written to DR goes to the console backend (or, with
 * loopback, into our own receive FIFO) at once, so the transmit FIFO is always empty and the
 * transmit interrupt is raised by every write, as the FIFO drains past its trigger level.
 * Reception is paced by the 32-entry receive FIFO (1 entry with FIFOs off): when it is full
 * we take fewer console bytes and ask for the rest again once the guest has read some.
 *
 * The receive timeout interrupt stands for "data waiting below the trigger level": it is
 * raised when input arrives and cleared when the FIFO empties or the guest clears it.
 *
 * The console backends (stdio, file:PATH, none) are the core's, shared with uart-16550
 * through host->console_open. Calls into an instance are serialised by the core.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

#define PL011_WINDOW 0x1000
#define FIFO_SIZE 32

/* Register offsets. */
#define REG_DR 0x000
#define REG_RSR 0x004 /* read: receive status; write: error clear */
#define REG_FR 0x018
#define REG_ILPR 0x020
#define REG_IBRD 0x024
#define REG_FBRD 0x028
#define REG_LCR_H 0x02c
#define REG_CR 0x030
#define REG_IFLS 0x034
#define REG_IMSC 0x038
#define REG_RIS 0x03c
#define REG_MIS 0x040
#define REG_ICR 0x044
#define REG_DMACR 0x048
#define REG_ID_FIRST 0xfe0 /* PeriphID0-3, PCellID0-3 */

/* FR bits. */
#define FR_CTS 0x001
#define FR_DSR 0x002
#define FR_DCD 0x004
#define FR_BUSY 0x008
#define FR_RXFE 0x010
#define FR_TXFF 0x020
#define FR_RXFF 0x040
#define FR_TXFE 0x080
#define FR_RI 0x100

/* LCR_H and CR bits. */
#define LCR_H_BRK 0x01
#define LCR_H_FEN 0x10
#define CR_UARTEN 0x0001
#define CR_LBE 0x0080
#define CR_TXE 0x0100
#define CR_RXE 0x0200
#define CR_DTR 0x0400
#define CR_RTS 0x0800
#define CR_OUT1 0x1000
#define CR_OUT2 0x2000

/* Interrupt bits (IMSC, RIS, MIS, ICR). */
#define INT_RI 0x001
#define INT_CTS 0x002
#define INT_DCD 0x004
#define INT_DSR 0x008
#define INT_RX 0x010
#define INT_TX 0x020
#define INT_RT 0x040
#define INT_FE 0x080
#define INT_PE 0x100
#define INT_BE 0x200
#define INT_OE 0x400
#define INT_ALL 0x7ff

/* The state vmboard's firmware role leaves the UART in (see pl011_reset). */
#define FIRMWARE_IBRD 13     /* 24 MHz / (16 * 115200) = 13.02 */
#define FIRMWARE_FBRD 1      /* 0.02 * 64 rounded */
#define FIRMWARE_LCR_H 0x70  /* WLEN 8 bits, FIFOs enabled */

/* DR error bits stored with each received character, and RSR. */
#define DR_OE 0x800
#define RSR_OE 0x08

/* PrimeCell identification: part 0x011, designer ARM (0x41), revision r1p5, cell id. */
static const uint8_t id_registers[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

struct pl011 {
    vmb_device *dev;
    const struct vmb_host *host;
    char *console_spec;
    uint64_t base;
    int irq_line;
    vmb_console *console;

    uint16_t rx_fifo[FIFO_SIZE]; /* character | DR error bits */
    unsigned rx_head, rx_count;
    uint8_t rsr;
    uint16_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
    bool input_refused;
    int irq_driven;
};

static const struct vmb_prop_spec pl011_props[] = {
    {"console", VMB_PROP_STRING, "stdio", 0,
     "where the UART's bytes go: stdio, file:PATH (created/truncated, output only) or none"},
    {NULL, 0, NULL, 0, NULL},
};

/* ---- state helpers ---------------------------------------------------------------------- */

static unsigned rx_capacity(const struct pl011 *uart)
{
    return (uart->lcr_h & LCR_H_FEN) ? FIFO_SIZE : 1;
}

/* IFLS receive trigger: 1/8, 1/4, 1/2, 3/4, 7/8 full (reserved values act as 1/2). */
static unsigned rx_trigger(const struct pl011 *uart)
{
    static const unsigned eighths[8] = {1, 2, 4, 6, 7, 4, 4, 4};
    if (!(uart->lcr_h & LCR_H_FEN))
        return 1;
    return FIFO_SIZE * eighths[(uart->ifls >> 3) & 7] / 8;
}

static void update_irq(struct pl011 *uart)
{
    if (uart->irq_line < 0)
        return;
    int level = (uart->ris & uart->imsc) != 0;
    if (level != uart->irq_driven) {
        uart->irq_driven = level;
        uart->host->irq_set(uart->dev, uart->irq_line, level);
    }
}

/* Receive interrupts follow the FIFO level. */
static void update_rx_status(struct pl011 *uart)
{
    uart->ris &= ~(INT_RX | INT_RT);
    if (uart->rx_count >= rx_trigger(uart))
        uart->ris |= INT_RX;
    else if (uart->rx_count)
        uart->ris |= INT_RT;
}

static void rx_clear(struct pl011 *uart)
{
    uart->rx_head = 0;
    uart->rx_count = 0;
}

/* Room again: ask the console for the input it is holding. */
static void input_room(struct pl011 *uart)
{
    if (uart->input_refused && uart->console && uart->rx_count < rx_capacity(uart)) {
        uart->input_refused = false;
        uart->host->console_accept(uart->console);
    }
}

static bool receiving(const struct pl011 *uart)
{
    return (uart->cr & CR_UARTEN) && (uart->cr & CR_RXE);
}

/* Put one character in the receive FIFO; false (overrun) when it is full. */
static bool rx_push(struct pl011 *uart, uint8_t byte)
{
    if (uart->rx_count >= rx_capacity(uart)) {
        /* Overrun: the character is lost and flagged on the newest FIFO entry. */
        unsigned last = (uart->rx_head + uart->rx_count - 1) % FIFO_SIZE;
        uart->rx_fifo[last] |= DR_OE;
        uart->rsr |= RSR_OE;
        uart->ris |= INT_OE;
        return false;
    }
    uart->rx_fifo[(uart->rx_head + uart->rx_count) % FIFO_SIZE] = byte;
    uart->rx_count++;
    return true;
}

static uint16_t rx_pop(struct pl011 *uart)
{
    if (!uart->rx_count)
        return 0;
    uint16_t value = uart->rx_fifo[uart->rx_head];
    uart->rx_head = (uart->rx_head + 1) % FIFO_SIZE;
    uart->rx_count--;
    return value;
}

static void transmit(struct pl011 *uart, uint8_t byte)
{
    if (!(uart->cr & CR_UARTEN) || !(uart->cr & CR_TXE)) {
        uart->host->guest_error(uart->dev, "write to DR with the transmitter disabled (CR 0x%x)",
                                uart->cr);
        return;
    }
    if (uart->cr & CR_LBE) {
        if (receiving(uart))
            rx_push(uart, byte);
        update_rx_status(uart);
    } else if (uart->console) {
        uart->host->console_write(uart->console, &byte, 1);
    }
    uart->ris |= INT_TX; /* the FIFO is empty again, below any trigger level */
}

/* FR modem bits; in loopback the outputs feed the inputs as the PL011 TRM describes. */
static uint16_t modem_inputs(const struct pl011 *uart)
{
    if (!(uart->cr & CR_LBE))
        return FR_CTS | FR_DSR | FR_DCD; /* a console is always ready */
    uint16_t fr = 0;
    if (uart->cr & CR_RTS)
        fr |= FR_CTS;
    if (uart->cr & CR_DTR)
        fr |= FR_DSR;
    if (uart->cr & CR_OUT1)
        fr |= FR_DCD;
    if (uart->cr & CR_OUT2)
        fr |= FR_RI;
    return fr;
}

static uint16_t flags(const struct pl011 *uart)
{
    uint16_t fr = FR_TXFE | modem_inputs(uart);
    if (uart->rx_count == 0)
        fr |= FR_RXFE;
    if (uart->rx_count >= rx_capacity(uart))
        fr |= FR_RXFF;
    return fr;
}

/* ---- registers -------------------------------------------------------------------------- */

static uint64_t pl011_read(void *opaque, uint64_t offset, unsigned size)
{
    struct pl011 *uart = opaque;
    uint64_t value;

    switch (offset) {
    case REG_DR: {
        uint16_t entry = rx_pop(uart);
        uart->rsr = (uint8_t)((entry >> 8) & 0x0f);
        update_rx_status(uart);
        update_irq(uart);
        input_room(uart);
        return entry;
    }
    case REG_RSR:
        return uart->rsr;
    case REG_FR:
        return flags(uart);
    case REG_ILPR:
        return uart->ilpr;
    case REG_IBRD:
        return uart->ibrd;
    case REG_FBRD:
        return uart->fbrd;
    case REG_LCR_H:
        return uart->lcr_h;
    case REG_CR:
        return uart->cr;
    case REG_IFLS:
        return uart->ifls;
    case REG_IMSC:
        return uart->imsc;
    case REG_RIS:
        return uart->ris;
    case REG_MIS:
        return uart->ris & uart->imsc;
    case REG_DMACR:
        return uart->dmacr;
    default:
        break;
    }
    if (offset >= REG_ID_FIRST && offset < PL011_WINDOW && (offset & 3) == 0)
        return id_registers[(offset - REG_ID_FIRST) / 4];
    value = 0;
    if (offset == REG_ICR)
        uart->host->guest_error(uart->dev, "read of the write-only ICR");
    else
        uart->host->guest_error(uart->dev, "read of offset 0x%llx: not a register",
                                (unsigned long long)offset);
    (void)size;
    return value;
}

static void pl011_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct pl011 *uart = opaque;
    uint16_t old_lcr_h;

    switch (offset) {
    case REG_DR:
        transmit(uart, (uint8_t)value);
        break;
    case REG_RSR:
        uart->rsr = 0; /* any write clears the error flags */
        break;
    case REG_ILPR:
        uart->ilpr = value & 0xff;
        break;
    case REG_IBRD:
        uart->ibrd = value & 0xffff;
        break;
    case REG_FBRD:
        uart->fbrd = value & 0x3f;
        break;
    case REG_LCR_H:
        old_lcr_h = uart->lcr_h;
        uart->lcr_h = value & 0xff;
        /* Turning the FIFOs off (or on) flushes them, as the TRM says. */
        if ((old_lcr_h ^ uart->lcr_h) & LCR_H_FEN) {
            rx_clear(uart);
            input_room(uart);
        }
        update_rx_status(uart);
        break;
    case REG_CR:
        uart->cr = value & 0xff87; /* bits 3-6 are reserved */
        if (receiving(uart))
            input_room(uart);
        break;
    case REG_IFLS:
        uart->ifls = value & 0x3f;
        update_rx_status(uart);
        break;
    case REG_IMSC:
        uart->imsc = value & INT_ALL;
        break;
    case REG_ICR:
        /* Receive conditions are asserted again by the next FIFO change, as on the part. */
        uart->ris &= ~(value & INT_ALL);
        break;
    case REG_DMACR:
        uart->dmacr = value & 0x7;
        if (uart->dmacr)
            uart->host->guest_error(uart->dev, "DMA requested (DMACR 0x%x): not modelled",
                                    uart->dmacr);
        break;
    default:
        uart->host->guest_error(uart->dev, "write of 0x%llx to offset 0x%llx: %s",
                                (unsigned long long)value, (unsigned long long)offset,
                                offset == REG_FR || offset == REG_RIS || offset == REG_MIS ||
                                        offset >= REG_ID_FIRST
                                    ? "read-only register"
                                    : "not a register");
        break;
    }
    (void)size;
    update_irq(uart);
}

/* Console input, on the I/O thread. */
static size_t pl011_input(void *opaque, const uint8_t *buf, size_t len)
{
    struct pl011 *uart = opaque;
    size_t taken = 0;

    if (!receiving(uart)) {
        uart->input_refused = true;
        return 0;
    }
    while (taken < len && uart->rx_count < rx_capacity(uart)) {
        rx_push(uart, buf[taken]);
        taken++;
    }
    if (taken < len)
        uart->input_refused = true;
    if (taken) {
        update_rx_status(uart);
        update_irq(uart);
    }
    return taken;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static bool console_spec_ok(const char *spec)
{
    return strcmp(spec, "stdio") == 0 || strcmp(spec, "none") == 0 ||
           (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0');
}

static void *pl011_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *spec = host->prop_string(dev, "console");

    if (!spec || !console_spec_ok(spec)) {
        host->error(dev, "console '%s' is not stdio, file:PATH or none", spec ? spec : "");
        return NULL;
    }
    struct pl011 *uart = calloc(1, sizeof(*uart));
    if (!uart || !(uart->console_spec = strdup(spec))) {
        free(uart);
        host->error(dev, "out of memory");
        return NULL;
    }
    uart->dev = dev;
    uart->host = host;
    uart->irq_line = host->device_irq(dev);
    return uart;
}

static void pl011_reset(void *opaque)
{
    struct pl011 *uart = opaque;

    rx_clear(uart);
    uart->rsr = 0;
    /* vmboard is the machine's firmware too, and leaves the console UART as firmware does
     * (earlycon relies on it): enabled, 115200 baud from the 24 MHz clock, 8N1, FIFOs on.
     * The part's own reset value would be CR 0x300 with UARTEN clear. */
    uart->ilpr = 0;
    uart->ibrd = FIRMWARE_IBRD;
    uart->fbrd = FIRMWARE_FBRD;
    uart->lcr_h = FIRMWARE_LCR_H;
    uart->cr = CR_UARTEN | CR_TXE | CR_RXE;
    uart->ifls = 0x12;          /* both triggers at half full */
    uart->imsc = 0;
    uart->ris = 0;
    uart->dmacr = 0;
    input_room(uart);
    update_irq(uart);
}

static int pl011_realize(void *opaque)
{
    struct pl011 *uart = opaque;
    const struct vmb_host *host = uart->host;
    static const struct vmb_region_ops ops = {sizeof(struct vmb_region_ops), pl011_read,
                                              pl011_write, 1, 4};
    enum vmb_space space;

    if (host->device_address(uart->dev, &space, &uart->base) != 0 || space != VMB_SPACE_MMIO) {
        host->error(uart->dev, "needs an MMIO address: give it mmio: ADDRESS");
        return -EINVAL;
    }
    int ret = host->map_region(uart->dev, VMB_SPACE_MMIO, uart->base, PL011_WINDOW, &ops, uart);
    if (ret)
        return ret;
    uart->console = host->console_open(uart->dev, uart->console_spec, pl011_input, uart);
    if (!uart->console)
        return -EINVAL; /* the core recorded why */
    pl011_reset(uart);
    return 0;
}

static void pl011_destroy(void *opaque)
{
    struct pl011 *uart = opaque;

    if (uart->console)
        uart->host->console_close(uart->console);
    free(uart->console_spec);
    free(uart);
}

static const struct vmb_fw_desc pl011_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "arm,pl011\0arm,primecell\0",
    .acpi_hid = "ARMH0011",
    .acpi_cid = NULL,
};

static const struct vmb_device_type pl011_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "pl011",
    .description = "ARM PrimeCell PL011 UART, console on stdio, a file or nowhere",
    .flags = VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = PL011_WINDOW,
    .irq_count = 1,
    .props = pl011_props,
    .fw = &pl011_fw,
    .create = pl011_create,
    .realize = pl011_realize,
    .reset = pl011_reset,
    .destroy = pl011_destroy,
};

static const struct vmb_device_type *const pl011_types[] = {&pl011_type, NULL};

static const struct vmb_plugin pl011_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "pl011",
    .version = "1.0",
    .types = pl011_types,
};

VMB_PLUGIN_DEFINE(pl011_plugin)

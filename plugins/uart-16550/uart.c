/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uart-16550: a National Semiconductor 16550A compatible UART, the PC's COM port.
 *
 * Transmission is instantaneous: a byte written to THR goes to the console backend (or, in
 * loopback, to our own receive FIFO) at once, so THR and the transmitter are always empty.
 * Reception is paced by the receive FIFO: when it is full we take fewer console bytes and
 * ask for the rest again (console_accept) once the guest has read some.
 *
 * Interrupt output: the line follows "an interrupt is pending" (IIR bit 0 clear). On port I/O
 * it is also gated by MCR.OUT2, as on PC boards where OUT2 enables the IRQ driver (Linux sets
 * OUT2 on such ports); on MMIO placements OUT2 does not gate the line, as on SoC 16550s.
 *
 * Every call into an instance is serialised by the core (the type is not thread-safe), so the
 * state below needs no lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

/* Register offsets (before reg-shift). */
enum {
    REG_RBR_THR_DLL = 0,
    REG_IER_DLM = 1,
    REG_IIR_FCR = 2,
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_RX_DATA      0x01 /* received data available (and character timeout) */
#define IER_THR_EMPTY    0x02 /* transmitter holding register empty */
#define IER_LINE_STATUS  0x04 /* overrun, parity, framing, break */
#define IER_MODEM_STATUS 0x08 /* MSR delta bits */
#define IER_MASK         0x0f

#define IIR_NONE         0x01 /* bit 0 set: nothing pending */
#define IIR_MODEM_STATUS 0x00
#define IIR_THR_EMPTY    0x02
#define IIR_RX_DATA      0x04
#define IIR_LINE_STATUS  0x06
#define IIR_RX_TIMEOUT   0x0c
#define IIR_FIFOS_ON     0xc0

#define FCR_ENABLE       0x01
#define FCR_RX_RESET     0x02
#define FCR_TX_RESET     0x04
#define FCR_KEEP         0xc9 /* enable, DMA mode select, trigger level: what the chip remembers */
#define FCR_TRIGGER(fcr) (((fcr) >> 6) & 3)

#define LCR_WORD_LENGTH   0x03
#define LCR_TWO_STOP_BITS 0x04
#define LCR_PARITY        0x08
#define LCR_DLAB          0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DATA_READY 0x01
#define LSR_OVERRUN    0x02
#define LSR_PARITY     0x04
#define LSR_FRAMING    0x08
#define LSR_BREAK      0x10
#define LSR_THR_EMPTY  0x20
#define LSR_TX_EMPTY   0x40
#define LSR_FIFO_ERROR 0x80
#define LSR_ERRORS     (LSR_OVERRUN | LSR_PARITY | LSR_FRAMING | LSR_BREAK)

#define MSR_DELTA_CTS   0x01
#define MSR_DELTA_DSR   0x02
#define MSR_TRAILING_RI 0x04
#define MSR_DELTA_DCD   0x08
#define MSR_DELTAS      0x0f
#define MSR_CTS         0x10
#define MSR_DSR         0x20
#define MSR_RI          0x40
#define MSR_DCD         0x80

#define FIFO_SIZE       16
#define UART_CLOCK_BAUD 115200 /* 1.8432 MHz / 16: the baud rate of divisor 1 */

struct uart {
    vmb_device *dev;
    const struct vmb_host *host;
    char *console_spec;
    unsigned reg_shift;
    enum vmb_space space;
    uint64_t base;
    int irq_line; /* -1: the board gave none */
    bool out2_gates_irq;
    vmb_console *console;
    vmb_timer *timeout_timer;

    uint8_t ier, lcr, mcr, fcr, scr, msr;
    uint8_t lsr_errors; /* OE/PE/FE/BI latched until LSR is read */
    uint16_t divisor;
    uint8_t rx_fifo[FIFO_SIZE];
    unsigned rx_head, rx_count;
    uint8_t rx_last;      /* what RBR reads when the FIFO is empty */
    bool thr_interrupt;   /* THR-empty interrupt pending (cleared by IIR read or THR write) */
    bool timeout_pending; /* character timeout fired and no read since */
    bool input_refused;   /* the console holds bytes we could not take */
    int irq_driven;       /* level we last put on the line */
};

static const struct vmb_prop_spec uart_props[] = {
    {"console", VMB_PROP_STRING, "stdio", 0,
     "where the UART's bytes go: stdio, file:PATH (created/truncated, output only) or none"},
    {"reg-shift", VMB_PROP_UINT, "0", 0,
     "MMIO register stride is 1 << reg-shift bytes (0..2); port I/O needs 0"},
    {NULL, 0, NULL, 0, NULL},
};

/* ---- state helpers ---------------------------------------------------------------------- */

static bool fifo_enabled(const struct uart *uart)
{
    return uart->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart *uart)
{
    return fifo_enabled(uart) ? FIFO_SIZE : 1; /* 16450 mode: one holding register */
}

static unsigned rx_trigger(const struct uart *uart)
{
    static const unsigned levels[4] = {1, 4, 8, 14};
    return fifo_enabled(uart) ? levels[FCR_TRIGGER(uart->fcr)] : 1;
}

static uint8_t lsr_value(const struct uart *uart)
{
    uint8_t lsr = uart->lsr_errors | LSR_THR_EMPTY | LSR_TX_EMPTY;
    if (uart->rx_count)
        lsr |= LSR_DATA_READY;
    return lsr;
}

/* The highest-priority pending interrupt, as IIR bits 0-3. */
static uint8_t interrupt_id(const struct uart *uart)
{
    if ((uart->ier & IER_LINE_STATUS) && (uart->lsr_errors & LSR_ERRORS))
        return IIR_LINE_STATUS;
    if ((uart->ier & IER_RX_DATA) && uart->rx_count && uart->rx_count >= rx_trigger(uart))
        return IIR_RX_DATA;
    if ((uart->ier & IER_RX_DATA) && uart->timeout_pending && uart->rx_count)
        return IIR_RX_TIMEOUT;
    if ((uart->ier & IER_THR_EMPTY) && uart->thr_interrupt)
        return IIR_THR_EMPTY;
    if ((uart->ier & IER_MODEM_STATUS) && (uart->msr & MSR_DELTAS))
        return IIR_MODEM_STATUS;
    return IIR_NONE;
}

static void update_irq(struct uart *uart)
{
    if (uart->irq_line < 0)
        return;
    int level = interrupt_id(uart) != IIR_NONE;
    if (uart->out2_gates_irq && !(uart->mcr & MCR_OUT2))
        level = 0;
    if (level != uart->irq_driven) {
        uart->irq_driven = level;
        uart->host->irq_set(uart->dev, uart->irq_line, level);
    }
}

/* Four character times at the programmed rate and frame: the 16550A's receive timeout. */
static uint64_t rx_timeout_ns(const struct uart *uart)
{
    unsigned bits = 1 + 5 + (uart->lcr & LCR_WORD_LENGTH) + ((uart->lcr & LCR_PARITY) ? 1 : 0) +
                    ((uart->lcr & LCR_TWO_STOP_BITS) ? 2 : 1);
    uint64_t divisor = uart->divisor ? uart->divisor : 1;
    return 4 * bits * divisor * 1000000000ull / UART_CLOCK_BAUD;
}

static void restart_rx_timeout(struct uart *uart)
{
    if (uart->timeout_timer && fifo_enabled(uart) && uart->rx_count)
        uart->host->timer_arm(uart->timeout_timer, rx_timeout_ns(uart));
}

static void rx_timeout_expired(void *opaque)
{
    struct uart *uart = opaque;

    if (fifo_enabled(uart) && uart->rx_count) {
        uart->timeout_pending = true;
        update_irq(uart);
    }
}

static void rx_clear(struct uart *uart)
{
    uart->rx_head = 0;
    uart->rx_count = 0;
    uart->timeout_pending = false;
    if (uart->timeout_timer)
        uart->host->timer_cancel(uart->timeout_timer);
}

/* The FIFO has room again: let the console offer the bytes we refused. */
static void input_room(struct uart *uart)
{
    if (uart->input_refused && uart->console && !(uart->mcr & MCR_LOOP)) {
        uart->input_refused = false;
        uart->host->console_accept(uart->console);
    }
}

/* A character arrives at the receiver (from the console or looped back). */
static bool rx_push(struct uart *uart, uint8_t byte, bool overrun_allowed)
{
    unsigned capacity = rx_capacity(uart);

    if (uart->rx_count >= capacity) {
        if (!overrun_allowed)
            return false;
        uart->lsr_errors |= LSR_OVERRUN;
        /* Without FIFOs the new character overwrites the holding register; with FIFOs it is
         * lost in the shift register and the FIFO keeps its contents. */
        if (!fifo_enabled(uart))
            uart->rx_fifo[uart->rx_head] = byte;
        return true;
    }
    uart->rx_fifo[(uart->rx_head + uart->rx_count) % FIFO_SIZE] = byte;
    uart->rx_count++;
    return true;
}

/* Modem status inputs: in loopback they are wired to the modem control outputs; otherwise the
 * console is a peer that is always present and ready. */
static void update_modem_status(struct uart *uart)
{
    uint8_t status;

    if (uart->mcr & MCR_LOOP) {
        status = 0;
        if (uart->mcr & MCR_RTS)
            status |= MSR_CTS;
        if (uart->mcr & MCR_DTR)
            status |= MSR_DSR;
        if (uart->mcr & MCR_OUT1)
            status |= MSR_RI;
        if (uart->mcr & MCR_OUT2)
            status |= MSR_DCD;
    } else {
        status = MSR_CTS | MSR_DSR | MSR_DCD;
    }
    uint8_t old = uart->msr & ~MSR_DELTAS;
    uint8_t changed = old ^ status;
    uint8_t deltas = uart->msr & MSR_DELTAS;
    if (changed & MSR_CTS)
        deltas |= MSR_DELTA_CTS;
    if (changed & MSR_DSR)
        deltas |= MSR_DELTA_DSR;
    if ((old & MSR_RI) && !(status & MSR_RI))
        deltas |= MSR_TRAILING_RI;
    if (changed & MSR_DCD)
        deltas |= MSR_DELTA_DCD;
    uart->msr = status | deltas;
}

/* ---- registers -------------------------------------------------------------------------- */

static uint8_t read_rbr(struct uart *uart)
{
    if (uart->rx_count) {
        uart->rx_last = uart->rx_fifo[uart->rx_head];
        uart->rx_head = (uart->rx_head + 1) % FIFO_SIZE;
        uart->rx_count--;
        input_room(uart);
    }
    uart->timeout_pending = false;
    restart_rx_timeout(uart);
    update_irq(uart);
    return uart->rx_last;
}

static void write_thr(struct uart *uart, uint8_t byte)
{
    if (uart->mcr & MCR_LOOP) {
        rx_push(uart, byte, true);
        restart_rx_timeout(uart);
    } else if (uart->console) {
        uart->host->console_write(uart->console, &byte, 1);
    }
    /* The byte left at once, so THR is empty again: that is a fresh THRE interrupt. */
    uart->thr_interrupt = true;
    update_irq(uart);
}

static uint8_t read_iir(struct uart *uart)
{
    uint8_t id = interrupt_id(uart);

    /* Reading IIR acknowledges a THRE interrupt (and only that one). */
    if (id == IIR_THR_EMPTY) {
        uart->thr_interrupt = false;
        update_irq(uart);
    }
    return id | (fifo_enabled(uart) ? IIR_FIFOS_ON : 0);
}

static void write_ier(struct uart *uart, uint8_t value)
{
    /* Bits 4-7 are reserved on the 16550A (other variants use them); they read back 0, which
     * is how drivers tell the variants apart, so writing them is not a mistake. */
    uart->ier = value & IER_MASK;
    /* Enabling THRE interrupts while THR is empty raises one, as on the real chip. */
    if ((uart->ier & IER_THR_EMPTY) && (lsr_value(uart) & LSR_THR_EMPTY))
        uart->thr_interrupt = true;
    update_irq(uart);
}

static void write_fcr(struct uart *uart, uint8_t value)
{
    bool was_enabled = fifo_enabled(uart);

    if (!(value & FCR_ENABLE)) {
        /* The other bits only take effect with FIFO enable set. */
        if (was_enabled)
            rx_clear(uart);
        uart->fcr = 0;
    } else {
        if (!was_enabled || (value & FCR_RX_RESET))
            rx_clear(uart);
        /* FCR_TX_RESET: the transmit FIFO is always empty here. */
        uart->fcr = value & FCR_KEEP;
    }
    input_room(uart);
    update_irq(uart);
}

static void write_mcr(struct uart *uart, uint8_t value)
{
    bool was_loop = uart->mcr & MCR_LOOP;

    uart->mcr = value & MCR_MASK;
    update_modem_status(uart);
    if (was_loop && !(uart->mcr & MCR_LOOP))
        input_room(uart);
    update_irq(uart);
}

static uint8_t uart_register_read(struct uart *uart, unsigned reg)
{
    uint8_t value;

    switch (reg) {
    case REG_RBR_THR_DLL:
        return (uart->lcr & LCR_DLAB) ? (uint8_t)uart->divisor : read_rbr(uart);
    case REG_IER_DLM:
        return (uart->lcr & LCR_DLAB) ? (uint8_t)(uart->divisor >> 8) : uart->ier;
    case REG_IIR_FCR:
        return read_iir(uart);
    case REG_LCR:
        return uart->lcr;
    case REG_MCR:
        return uart->mcr;
    case REG_LSR:
        value = lsr_value(uart);
        uart->lsr_errors = 0; /* reading LSR clears the error bits and the line interrupt */
        update_irq(uart);
        return value;
    case REG_MSR:
        value = uart->msr;
        uart->msr &= ~MSR_DELTAS;
        update_irq(uart);
        return value;
    default:
        return uart->scr;
    }
}

static void uart_register_write(struct uart *uart, unsigned reg, uint8_t value)
{
    switch (reg) {
    case REG_RBR_THR_DLL:
        if (uart->lcr & LCR_DLAB)
            uart->divisor = (uint16_t)((uart->divisor & 0xff00) | value);
        else
            write_thr(uart, value);
        break;
    case REG_IER_DLM:
        if (uart->lcr & LCR_DLAB)
            uart->divisor = (uint16_t)((uart->divisor & 0x00ff) | (value << 8));
        else
            write_ier(uart, value);
        break;
    case REG_IIR_FCR:
        write_fcr(uart, value);
        break;
    case REG_LCR:
        uart->lcr = value;
        break;
    case REG_MCR:
        write_mcr(uart, value);
        break;
    case REG_LSR:
    case REG_MSR:
        uart->host->guest_error(uart->dev, "write 0x%02x to read-only %s ignored", value,
                                reg == REG_LSR ? "LSR" : "MSR");
        break;
    default:
        uart->scr = value;
        break;
    }
}

/* With reg-shift, each register is the low byte of a (1 << shift)-byte slot; the other bytes
 * of the slot read as zero and ignore writes. */
static uint64_t uart_read(void *opaque, uint64_t offset, unsigned size)
{
    struct uart *uart = opaque;
    uint64_t slot_mask = (1ull << uart->reg_shift) - 1;

    if (offset & slot_mask)
        return 0;
    return uart_register_read(uart, (unsigned)(offset >> uart->reg_shift) & 7);
}

static void uart_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct uart *uart = opaque;
    uint64_t slot_mask = (1ull << uart->reg_shift) - 1;

    if (offset & slot_mask) {
        uart->host->guest_error(uart->dev, "write to offset 0x%llx: not a register (reg-shift %u)",
                                (unsigned long long)offset, uart->reg_shift);
        return;
    }
    uart_register_write(uart, (unsigned)(offset >> uart->reg_shift) & 7, (uint8_t)value);
}

/* ---- console input ---------------------------------------------------------------------- */

static size_t uart_input(void *opaque, const uint8_t *buf, size_t len)
{
    struct uart *uart = opaque;
    size_t taken = 0;

    /* In loopback the receiver is disconnected from the line. */
    if (!(uart->mcr & MCR_LOOP)) {
        while (taken < len && rx_push(uart, buf[taken], false))
            taken++;
    }
    if (taken < len)
        uart->input_refused = true;
    if (taken) {
        restart_rx_timeout(uart);
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

static void *uart_create(vmb_device *dev, const struct vmb_host *host)
{
    const char *spec = host->prop_string(dev, "console");
    uint64_t shift = host->prop_uint(dev, "reg-shift");

    if (!spec || !console_spec_ok(spec)) {
        host->error(dev, "console '%s' is not stdio, file:PATH or none", spec ? spec : "");
        return NULL;
    }
    if (shift > 2) {
        host->error(dev, "reg-shift %llu is out of range (0..2)", (unsigned long long)shift);
        return NULL;
    }
    struct uart *uart = calloc(1, sizeof(*uart));
    if (!uart || !(uart->console_spec = strdup(spec))) {
        free(uart);
        host->error(dev, "out of memory");
        return NULL;
    }
    uart->dev = dev;
    uart->host = host;
    uart->reg_shift = (unsigned)shift;
    uart->irq_line = host->device_irq(dev);
    return uart;
}

static void uart_reset(void *opaque)
{
    struct uart *uart = opaque;

    uart->ier = 0;
    uart->lcr = 0;
    uart->mcr = 0;
    uart->fcr = 0;
    uart->scr = 0;
    uart->lsr_errors = 0;
    uart->divisor = 1; /* the chip leaves it undefined; 115200 baud is what guests pick */
    uart->rx_last = 0;
    uart->thr_interrupt = false;
    rx_clear(uart);
    uart->msr = 0;
    update_modem_status(uart);
    uart->msr &= ~MSR_DELTAS; /* power-on is not a change */
    input_room(uart);
    update_irq(uart);
}

static int uart_realize(void *opaque)
{
    struct uart *uart = opaque;
    const struct vmb_host *host = uart->host;
    static const struct vmb_region_ops ops_by_shift[3] = {
        {sizeof(struct vmb_region_ops), uart_read, uart_write, 1, 1},
        {sizeof(struct vmb_region_ops), uart_read, uart_write, 1, 2},
        {sizeof(struct vmb_region_ops), uart_read, uart_write, 1, 4},
    };

    if (host->device_address(uart->dev, &uart->space, &uart->base) != 0) {
        host->error(uart->dev, "needs an address: give it pio: PORT or mmio: ADDRESS");
        return -EINVAL;
    }
    if (uart->space == VMB_SPACE_PIO && uart->reg_shift != 0) {
        host->error(uart->dev, "reg-shift applies to mmio placement only; use 0 with pio:");
        return -EINVAL;
    }
    uart->out2_gates_irq = uart->space == VMB_SPACE_PIO;
    int ret = host->map_region(uart->dev, uart->space, uart->base, 8ull << uart->reg_shift,
                               &ops_by_shift[uart->reg_shift], uart);
    if (ret)
        return ret;

    uart->timeout_timer = host->timer_new(uart->dev, rx_timeout_expired, uart);
    if (!uart->timeout_timer) {
        host->error(uart->dev, "cannot create the receive timeout timer");
        return -ENOMEM;
    }
    uart->console = host->console_open(uart->dev, uart->console_spec, uart_input, uart);
    if (!uart->console)
        return -EINVAL; /* the core recorded why */

    uart_reset(uart);
    return 0;
}

static void uart_destroy(void *opaque)
{
    struct uart *uart = opaque;

    if (uart->console)
        uart->host->console_close(uart->console);
    if (uart->timeout_timer)
        uart->host->timer_free(uart->timeout_timer);
    free(uart->console_spec);
    free(uart);
}

static const struct vmb_fw_desc uart_fw = {
    .size = sizeof(struct vmb_fw_desc),
    .dt_compatible = "ns16550a\0",
    .acpi_hid = "PNP0501",
    .acpi_cid = NULL,
};

static const struct vmb_device_type uart_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "uart-16550",
    .description = "16550A UART with 16-byte FIFOs, console on stdio, a file or nowhere",
    .flags = VMB_TYPE_PIO | VMB_TYPE_MMIO | VMB_TYPE_NEEDS_ADDR,
    .window_size = 8,
    .irq_count = 1,
    .props = uart_props,
    .fw = &uart_fw,
    .create = uart_create,
    .realize = uart_realize,
    .reset = uart_reset,
    .destroy = uart_destroy,
};

static const struct vmb_device_type *const uart_types[] = {&uart_type, NULL};

static const struct vmb_plugin uart_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "uart-16550",
    .version = "1.0",
    .types = uart_types,
};

VMB_PLUGIN_DEFINE(uart_plugin)

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipped device plugins (uart-16550, debug-exit, fw-cfg) and the console backends,
 * driven the way a guest drives them: a board made from YAML, a VM without KVM (plain RAM,
 * recorded interrupt lines), the real plugins loaded from $VMBOARD_PLUGIN_PATH, and accesses
 * through the real buses.
 *
 * Console input is tested through the real stdio backend: the test (already a forked child
 * under check) puts a pipe or a pseudo-terminal on fd 0 and restores it afterwards. That
 * exercises the same code path as a user typing, without a test-only hook in the core.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "board.h"
#include "bus.h"
#include "console.h"
#include "device.h"
#include "irq.h"
#include "loop.h"
#include "memory.h"
#include "plugin.h"
#include "test-machine.h"
#include "vm.h"

/* ---- machine ---------------------------------------------------------------------------- */

static const char *const device_types[] = {"uart-16550", "debug-exit", "fw-cfg", NULL};

static const struct test_machine_config devices_machine_config = {
    .board = "name: devtest\n"
             "arch: x86_64\n"
             "cpus: 3\n"
             "memory: 16M\n"
             "boot:\n"
             "  kernel: kernel.bin\n"
             "  cmdline: console=ttyS0 root=/dev/vda\n",
    .types = device_types,
};

static struct test_machine *devices_machine_new(void)
{
    return machine_new(&devices_machine_config);
}

static char *read_file(const char *path, gsize *len)
{
    char *contents = NULL;
    GError *error = NULL;
    ck_assert_msg(g_file_get_contents(path, &contents, len, &error), "%s",
                  error ? error->message : "");
    return contents;
}

/* A file the machine wrote into its directory. */
static char *read_output(struct test_machine *h, const char *name, gsize *len)
{
    char *path = machine_path(h, name);
    char *contents = read_file(path, len);
    g_free(path);
    return contents;
}

/* ---- UART helpers ----------------------------------------------------------------------- */

enum {
    RBR = 0,
    THR = 0,
    DLL = 0,
    IER = 1,
    DLM = 1,
    IIR = 2,
    FCR = 2,
    LCR = 3,
    MCR = 4,
    LSR = 5,
    MSR = 6,
    SCR = 7,
};

#define COM1     0x3f8
#define COM1_IRQ 4

static uint8_t uart_in(struct test_machine *h, unsigned reg)
{
    return in8(h, (uint16_t)(COM1 + reg));
}

static void uart_out(struct test_machine *h, unsigned reg, uint8_t value)
{
    out8(h, (uint16_t)(COM1 + reg), value);
}

static void start_com1(struct test_machine *h, const char *console)
{
    char *devices = g_strdup_printf("  - type: uart-16550\n"
                                    "    id: uart0\n"
                                    "    pio: 0x3f8\n"
                                    "    irq: 4\n"
                                    "    console: %s\n",
                                    console);
    machine_start(h, devices);
    g_free(devices);
}

static void start_com1_file(struct test_machine *h)
{
    char *console = g_strdup_printf("file:%s/com1.out", h->dir);
    start_com1(h, console);
    g_free(console);
}

/* Collect received bytes until `want` arrived or two seconds passed. */
static size_t uart_receive(struct test_machine *h, uint8_t *buf, size_t want)
{
    size_t got = 0;
    for (int waited = 0; got < want && waited < 2000;) {
        if (uart_in(h, LSR) & 0x01) {
            buf[got++] = uart_in(h, RBR);
        } else {
            g_usleep(1000);
            waited++;
        }
    }
    return got;
}

/* ---- UART: registers -------------------------------------------------------------------- */

START_TEST(uart_divisor_latch_round_trip)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    uart_out(h, LCR, 0x80); /* DLAB */
    uart_out(h, DLL, 0x0c);
    uart_out(h, DLM, 0x01);
    ck_assert_uint_eq(uart_in(h, DLL), 0x0c);
    ck_assert_uint_eq(uart_in(h, DLM), 0x01);
    ck_assert_uint_eq(uart_in(h, LCR), 0x80);

    uart_out(h, LCR, 0x03); /* 8N1, DLAB off: offsets 0/1 are RBR/IER again */
    ck_assert_uint_eq(uart_in(h, LCR), 0x03);
    ck_assert_uint_eq(uart_in(h, IER), 0x00);
    uart_out(h, IER, 0x05);
    ck_assert_uint_eq(uart_in(h, IER), 0x05);
    uart_out(h, LCR, 0x83);
    ck_assert_uint_eq(uart_in(h, DLM), 0x01); /* the latch kept its value */
    ck_assert_uint_eq(uart_in(h, DLL), 0x0c);
    uart_out(h, LCR, 0x03);
    ck_assert_uint_eq(uart_in(h, IER), 0x05); /* and IER kept its own */
    machine_free(h);
}
END_TEST

START_TEST(uart_scratch_register)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);
    ck_assert_uint_eq(uart_in(h, SCR), 0x00);
    uart_out(h, SCR, 0x5a);
    ck_assert_uint_eq(uart_in(h, SCR), 0x5a);
    uart_out(h, SCR, 0xa5);
    ck_assert_uint_eq(uart_in(h, SCR), 0xa5);
    machine_free(h);
}
END_TEST

START_TEST(uart_transmit_reaches_console_file)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    ck_assert_uint_eq(uart_in(h, LSR), 0x60); /* THRE | TEMT, nothing received */
    ck_assert_uint_eq(uart_in(h, IIR), 0x01); /* no FIFOs, nothing pending */
    const char *hello = "Hello from COM1\r\n";
    for (const char *p = hello; *p; p++) {
        uart_out(h, THR, (uint8_t)*p);
        ck_assert_uint_eq(uart_in(h, LSR) & 0x60, 0x60); /* sent at once: THR and TEMT empty */
    }
    for (unsigned byte = 0; byte < 256; byte++)
        uart_out(h, THR, (uint8_t)byte);
    machine_stop(h);

    gsize len;
    char *out = read_output(h, "com1.out", &len);
    ck_assert_uint_eq(len, strlen(hello) + 256);
    ck_assert_mem_eq(out, hello, strlen(hello));
    for (unsigned byte = 0; byte < 256; byte++)
        ck_assert_uint_eq((uint8_t)out[strlen(hello) + byte], byte);
    g_free(out);
    machine_free(h);
}
END_TEST

START_TEST(uart_thre_interrupt_semantics)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    uart_out(h, MCR, 0x08); /* OUT2: the PC's interrupt enable */
    ck_assert_uint_eq(uart_in(h, IIR), 0x01);
    uart_out(h, IER, 0x02); /* THR is empty: enabling the interrupt raises it */
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    ck_assert_uint_eq(uart_in(h, IIR), 0x02);
    /* That IIR read acknowledged it. */
    ck_assert_uint_eq(uart_in(h, IIR), 0x01);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    /* Writing IER again with THRE enabled re-raises it. */
    uart_out(h, IER, 0x02);
    ck_assert_uint_eq(uart_in(h, IIR), 0x02);
    ck_assert_uint_eq(uart_in(h, IIR), 0x01);
    /* A byte sent empties THR again: a new THRE interrupt. */
    uart_out(h, THR, 'x');
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    ck_assert_uint_eq(uart_in(h, IIR), 0x02);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    /* Disabled: pending or not, nothing is reported. */
    uart_out(h, THR, 'y');
    uart_out(h, IER, 0x00);
    ck_assert_uint_eq(uart_in(h, IIR), 0x01);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    machine_free(h);
}
END_TEST

START_TEST(uart_iir_priorities)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    uart_out(h, FCR, 0x07); /* FIFOs on, both reset, trigger 1 */
    uart_out(h, MCR, 0x18); /* loopback + OUT2; CTS/DSR drop: modem status deltas */
    uart_out(h, IER, 0x0f);
    for (int i = 0; i < 17; i++) /* 16 fill the FIFO, the 17th overruns */
        uart_out(h, THR, (uint8_t)('A' + i));

    ck_assert_uint_eq(uart_in(h, IIR), 0xc6); /* line status first */
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    ck_assert_uint_eq(uart_in(h, LSR), 0x63); /* DR | OE | THRE | TEMT; read clears OE */
    ck_assert_uint_eq(uart_in(h, LSR), 0x61);
    ck_assert_uint_eq(uart_in(h, IIR), 0xc4); /* then received data */
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(uart_in(h, RBR), 'A' + i); /* the overrun byte was lost, not these */
    ck_assert_uint_eq(uart_in(h, LSR), 0x60);
    ck_assert_uint_eq(uart_in(h, IIR), 0xc2);        /* then THR empty, acknowledged by this read */
    ck_assert_uint_eq(uart_in(h, IIR), 0xc0);        /* then modem status */
    ck_assert_uint_eq(uart_in(h, MSR) & 0x0f, 0x03); /* delta CTS and delta DSR */
    ck_assert_uint_eq(uart_in(h, IIR), 0xc1);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    machine_free(h);
}
END_TEST

START_TEST(uart_rx_trigger_levels)
{
    static const struct {
        uint8_t fcr;
        unsigned level;
    } triggers[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);
    uart_out(h, MCR, 0x18);
    uart_out(h, IER, 0x01);

    for (size_t t = 0; t < G_N_ELEMENTS(triggers); t++) {
        uart_out(h, FCR, triggers[t].fcr | 0x02); /* also resets the receive FIFO */
        for (unsigned i = 0; i + 1 < triggers[t].level; i++)
            uart_out(h, THR, (uint8_t)i);
        ck_assert_msg(uart_in(h, IIR) == 0xc1, "trigger %u: interrupt below the level",
                      triggers[t].level);
        uart_out(h, THR, 0xee);
        ck_assert_msg(uart_in(h, IIR) == 0xc4, "trigger %u: no interrupt at the level",
                      triggers[t].level);
        ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
        uart_in(h, RBR);
        ck_assert_msg(uart_in(h, IIR) == 0xc1,
                      "trigger %u: interrupt still pending below the level", triggers[t].level);
        ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    }
    machine_free(h);
}
END_TEST

START_TEST(uart_fifo_reset_and_disable)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);
    uart_out(h, FCR, 0x01);
    uart_out(h, MCR, 0x10);
    uart_out(h, THR, '1');
    uart_out(h, THR, '2');
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x01);
    uart_out(h, FCR, 0x03); /* receive FIFO reset */
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x00);

    uart_out(h, THR, '3');
    uart_out(h, FCR, 0x00); /* FIFOs off: contents discarded, IIR loses its FIFO bits */
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x00);
    ck_assert_uint_eq(uart_in(h, IIR), 0x01);

    /* Without FIFOs there is one holding register: a second byte overruns and replaces it. */
    uart_out(h, THR, 'a');
    uart_out(h, THR, 'b');
    ck_assert_uint_eq(uart_in(h, LSR), 0x63);
    ck_assert_uint_eq(uart_in(h, RBR), 'b');
    ck_assert_uint_eq(uart_in(h, LSR), 0x60);
    machine_free(h);
}
END_TEST

START_TEST(uart_loopback_modem_lines)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    /* Out of loopback the console is a ready peer: CTS, DSR, DCD. */
    ck_assert_uint_eq(uart_in(h, MSR), 0xb0);

    uart_out(h, MCR, 0x1f); /* loop, OUT2, OUT1, RTS, DTR -> DCD, RI, CTS, DSR */
    ck_assert_uint_eq(uart_in(h, MCR), 0x1f);
    ck_assert_uint_eq(uart_in(h, MSR), 0xf0); /* RI rose: only its trailing edge counts */
    ck_assert_uint_eq(uart_in(h, MSR), 0xf0);
    uart_out(h, MCR, 0x10);                   /* all outputs off */
    ck_assert_uint_eq(uart_in(h, MSR), 0x0f); /* every line changed, RI fell */
    ck_assert_uint_eq(uart_in(h, MSR), 0x00); /* deltas clear on read */
    uart_out(h, MCR, 0x12);                   /* RTS alone -> CTS alone */
    ck_assert_uint_eq(uart_in(h, MSR), 0x11);

    /* Looped-back bytes come back in and never reach the console. */
    uart_out(h, THR, 'L');
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x01);
    ck_assert_uint_eq(uart_in(h, RBR), 'L');
    uart_out(h, MCR, 0x00);
    uart_out(h, THR, 'T');
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x00);
    machine_stop(h);

    gsize len;
    char *out = read_output(h, "com1.out", &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(out[0], 'T');
    g_free(out);
    machine_free(h);
}
END_TEST

START_TEST(uart_irq_line_follows_ier_and_out2)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);

    uart_out(h, IER, 0x02); /* THRE pending and enabled, but OUT2 is low */
    ck_assert_uint_eq(uart_in(h, IIR) & 0x01, 0x00);
    uart_out(h, IER, 0x02); /* (that read acknowledged it; raise it again) */
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    uart_out(h, MCR, 0x08);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    uart_out(h, MCR, 0x00);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    uart_out(h, MCR, 0x08);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    uart_out(h, IER, 0x00);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    uart_out(h, IER, 0x02);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    uint64_t raises = irq_raise_count(h->vm, COM1_IRQ);
    ck_assert_uint_eq(raises, 3);
    machine_free(h);
}
END_TEST

START_TEST(uart_mmio_reg_shift)
{
    struct test_machine *h = devices_machine_new();
    char *devices = g_strdup_printf("  - type: uart-16550\n"
                                    "    id: uart0\n"
                                    "    mmio: 0x9000000\n"
                                    "    irq: 5\n"
                                    "    reg-shift: 2\n"
                                    "    console: file:%s/mmio.out\n",
                                    h->dir);
    machine_start(h, devices);
    g_free(devices);
    const uint64_t base = 0x9000000;

    bus_write(h->vm->mmio, base + 7 * 4, 0x42, 4); /* SCR at 7 << 2, 32-bit access */
    ck_assert_uint_eq(bus_read(h->vm->mmio, base + 7 * 4, 4), 0x42);
    ck_assert_uint_eq(bus_read(h->vm->mmio, base + 7 * 4, 1), 0x42);
    ck_assert_uint_eq(bus_read(h->vm->mmio, base + 5 * 4, 4), 0x60); /* LSR */
    /* No OUT2 gating on MMIO: enabling THRE interrupts raises the line at once. */
    bus_write(h->vm->mmio, base + 1 * 4, 0x02, 4);
    ck_assert_int_eq(irq_level(h->vm, 5), 1);
    ck_assert_uint_eq(bus_read(h->vm->mmio, base + 2 * 4, 4), 0x02);
    ck_assert_int_eq(irq_level(h->vm, 5), 0);
    bus_write(h->vm->mmio, base, 'M', 4);
    bus_write(h->vm->mmio, base, 'Q', 1);
    machine_stop(h);

    gsize len;
    char *out = read_output(h, "mmio.out", &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(out, "MQ", 2);
    g_free(out);
    machine_free(h);
}
END_TEST

START_TEST(uart_bad_properties)
{
    struct test_machine *h = devices_machine_new();
    machine_start_fails(h,
                        "  - type: uart-16550\n"
                        "    id: uart0\n"
                        "    pio: 0x3f8\n"
                        "    console: telnet:4444\n",
                        "device 'uart0'", "console 'telnet:4444' is not stdio, file:PATH or none",
                        NULL);

    machine_start_fails(h,
                        "  - type: uart-16550\n"
                        "    id: uart1\n"
                        "    pio: 0x2f8\n"
                        "    reg-shift: 2\n"
                        "    console: none\n",
                        "reg-shift applies to mmio placement only", NULL);

    machine_start_fails(h,
                        "  - type: uart-16550\n"
                        "    id: uart2\n"
                        "    pio: 0x3e8\n"
                        "    console: file:/nonexistent-dir/out.txt\n",
                        "device 'uart2'",
                        "console file '/nonexistent-dir/out.txt': No such file or directory", NULL);
    machine_free(h);
}
END_TEST

/* ---- UART: time and input --------------------------------------------------------------- */

START_TEST(uart_character_timeout)
{
    struct test_machine *h = devices_machine_new();
    start_com1_file(h);
    machine_start_io_thread(h);

    /* 300 baud: four characters take 133 ms, long enough to look before the timeout. */
    uart_out(h, LCR, 0x83);
    uart_out(h, DLL, 0x80);
    uart_out(h, DLM, 0x01);
    uart_out(h, LCR, 0x03);
    uart_out(h, FCR, 0xc7); /* trigger 14 */
    uart_out(h, MCR, 0x18);
    uart_out(h, IER, 0x01);
    for (int i = 0; i < 3; i++)
        uart_out(h, THR, (uint8_t)('a' + i));
    ck_assert_uint_eq(uart_in(h, IIR), 0xc1); /* below the trigger: nothing yet */

    uint8_t iir = 0;
    for (int waited = 0; waited < 2000 && (iir = uart_in(h, IIR)) != 0xcc; waited++)
        g_usleep(1000);
    ck_assert_uint_eq(iir, 0xcc); /* character timeout */
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    ck_assert_uint_eq(uart_in(h, RBR), 'a'); /* a read clears it and restarts the timer */
    ck_assert_uint_eq(uart_in(h, IIR), 0xc1);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 0);
    for (int waited = 0; waited < 2000 && (iir = uart_in(h, IIR)) != 0xcc; waited++)
        g_usleep(1000);
    ck_assert_uint_eq(iir, 0xcc);
    ck_assert_uint_eq(uart_in(h, RBR), 'b');
    ck_assert_uint_eq(uart_in(h, RBR), 'c');
    machine_free(h);
}
END_TEST

/* Put `fd` on `target` (0 or 1) for the duration of a test; returns the saved original. */
static int redirect_fd(int fd, int target)
{
    int saved = dup(target);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fd, target), target);
    return saved;
}

static void restore_fd(int saved, int target)
{
    dup2(saved, target);
    close(saved);
}

START_TEST(uart_input_from_stdin_pipe)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    int saved_stdin = redirect_fd(fds[0], STDIN_FILENO);
    close(fds[0]);

    struct test_machine *h = devices_machine_new();
    start_com1(h, "stdio");
    uart_out(h, FCR, 0x07);
    uart_out(h, MCR, 0x08);
    uart_out(h, IER, 0x01);
    machine_start_io_thread(h);

    /* More than the 16-byte FIFO holds: the rest waits in the console until there is room. */
    const char *text = "The quick brown fox jumps over the lazy dog 0123456789";
    size_t len = strlen(text);
    ck_assert_int_eq(write(fds[1], text, len), (ssize_t)len);

    for (int waited = 0; waited < 2000 && !(uart_in(h, LSR) & 0x01); waited++)
        g_usleep(1000);
    ck_assert_int_eq(irq_level(h->vm, COM1_IRQ), 1);
    g_usleep(20000); /* let the console offer everything it can */
    ck_assert_uint_eq(uart_in(h, IIR), 0xc4);

    uint8_t got[128];
    size_t count = uart_receive(h, got, len);
    ck_assert_uint_eq(count, len);
    ck_assert_mem_eq(got, text, len);

    /* In loopback the receiver is cut off from the line: typed bytes wait. */
    uart_out(h, MCR, 0x18);
    ck_assert_int_eq(write(fds[1], "xyz", 3), 3);
    g_usleep(50000);
    ck_assert_uint_eq(uart_in(h, LSR) & 0x01, 0x00);
    uart_out(h, MCR, 0x08);
    count = uart_receive(h, got, 3);
    ck_assert_uint_eq(count, 3);
    ck_assert_mem_eq(got, "xyz", 3);

    /* End of input stops reading; the device keeps working. */
    close(fds[1]);
    g_usleep(20000);
    ck_assert_uint_eq(uart_in(h, LSR), 0x60);
    uart_out(h, SCR, 0x77);
    ck_assert_uint_eq(uart_in(h, SCR), 0x77);
    machine_free(h);
    restore_fd(saved_stdin, STDIN_FILENO);
}
END_TEST

START_TEST(uart_output_to_stdout)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    int saved_stdout = redirect_fd(fds[1], STDOUT_FILENO);
    close(fds[1]);
    int null_fd = open("/dev/null", O_RDONLY);
    int saved_stdin = redirect_fd(null_fd, STDIN_FILENO);
    close(null_fd);

    struct test_machine *h = devices_machine_new();
    start_com1(h, "stdio");
    const char *text = "bytes to the terminal\n";
    for (const char *p = text; *p; p++)
        uart_out(h, THR, (uint8_t)*p);
    machine_free(h); /* the last bytes before exit are flushed, not lost */
    restore_fd(saved_stdout, STDOUT_FILENO);
    restore_fd(saved_stdin, STDIN_FILENO);

    char buf[256];
    ssize_t got = read(fds[0], buf, sizeof(buf));
    ck_assert_int_eq(got, (ssize_t)strlen(text));
    ck_assert_mem_eq(buf, text, strlen(text));
    close(fds[0]);
}
END_TEST

START_TEST(uart_terminal_escapes)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(slave, 0);
    int saved_stdin = redirect_fd(slave, STDIN_FILENO);
    close(slave);
    struct termios before;
    ck_assert_int_eq(tcgetattr(STDIN_FILENO, &before), 0);
    ck_assert(before.c_lflag & ICANON);

    struct test_machine *h = devices_machine_new();
    start_com1(h, "stdio");
    struct termios raw;
    ck_assert_int_eq(tcgetattr(STDIN_FILENO, &raw), 0);
    ck_assert(!(raw.c_lflag & (ICANON | ECHO | ISIG))); /* keys go to the guest as typed */
    uart_out(h, FCR, 0x07);
    machine_start_io_thread(h);

    /* a, then Ctrl-A Ctrl-A (one Ctrl-A for the guest), then Ctrl-C (the guest's too). */
    ck_assert_int_eq(write(master, "a\x01\x01\x03", 4), 4);
    uint8_t got[8];
    ck_assert_uint_eq(uart_receive(h, got, 3), 3);
    ck_assert_mem_eq(got, "a\x01\x03", 3);
    /* Ctrl-A and a key it does not know, in two reads: both reach the guest. */
    ck_assert_int_eq(write(master, "\x01", 1), 1);
    g_usleep(20000);
    ck_assert_int_eq(write(master, "z", 1), 1);
    ck_assert_uint_eq(uart_receive(h, got, 2), 2);
    ck_assert_mem_eq(got, "\x01z", 2);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_RUNNING);
    /* Ctrl-A x: quit; what was typed before it in the same read still arrives. */
    ck_assert_int_eq(write(master, "q\x01x", 3), 3);
    for (int waited = 0; waited < 2000 && vm_stop_reason(h->vm) == VM_RUNNING; waited++)
        g_usleep(1000);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_STOP_SIGNAL);
    ck_assert_int_eq(h->vm->exit_status, 0);
    ck_assert_uint_eq(uart_receive(h, got, 1), 1);
    ck_assert_int_eq(got[0], 'q');
    machine_stop(h);

    struct termios after;
    ck_assert_int_eq(tcgetattr(STDIN_FILENO, &after), 0);
    ck_assert_uint_eq(after.c_lflag, before.c_lflag);
    ck_assert_uint_eq(after.c_iflag, before.c_iflag);
    machine_free(h);
    restore_fd(saved_stdin, STDIN_FILENO);
    close(master);
}
END_TEST

START_TEST(second_stdio_console_is_refused)
{
    int null_fd = open("/dev/null", O_RDONLY);
    int saved_stdin = redirect_fd(null_fd, STDIN_FILENO);
    close(null_fd);
    struct test_machine *h = devices_machine_new();
    machine_start_fails(h,
                        "  - type: uart-16550\n"
                        "    id: uart0\n"
                        "    pio: 0x3f8\n"
                        "  - type: uart-16550\n"
                        "    id: uart1\n"
                        "    pio: 0x2f8\n",
                        "device 'uart1'", "console stdio is already used by",
                        "`console: file:PATH` or `console: none`", NULL);
    machine_free(h);
    restore_fd(saved_stdin, STDIN_FILENO);
}
END_TEST

/* ---- console backends through the core API ---------------------------------------------- */

START_TEST(console_spec_errors)
{
    GError *error = NULL;
    ck_assert(console_spec_valid("stdio", NULL));
    ck_assert(console_spec_valid("none", NULL));
    ck_assert(console_spec_valid("file:out.txt", NULL));
    ck_assert(!console_spec_valid("file:", &error));
    ck_assert_str_eq(error->message, "console 'file:' needs a path, e.g. file:console.log");
    g_clear_error(&error);
    ck_assert(!console_spec_valid("pty", &error));
    ck_assert_str_eq(error->message,
                     "unknown console backend 'pty' (expected stdio, file:PATH or none)");
    g_clear_error(&error);
}
END_TEST

START_TEST(console_stdio_owner_named)
{
    struct loop *loop = loop_new();
    GError *error = NULL;
    struct console *first = console_open(loop, "stdio", NULL, NULL, NULL, NULL, NULL, &error);
    ck_assert_ptr_nonnull(first);
    console_set_owner(first, "uart0 (board.yaml:9:5)");
    ck_assert_ptr_null(console_open(loop, "stdio", NULL, NULL, NULL, NULL, NULL, &error));
    ck_assert_str_eq(error->message, "console stdio is already used by uart0 (board.yaml:9:5); "
                                     "give this device `console: file:PATH` or `console: none`");
    g_clear_error(&error);
    console_close(first);
    /* Released: the next one may have it. */
    struct console *second = console_open(loop, "stdio", NULL, NULL, NULL, NULL, NULL, &error);
    ck_assert_ptr_nonnull(second);
    console_close(second);
    loop_free(loop);
}
END_TEST

START_TEST(console_file_drained_by_io_thread)
{
    struct loop *loop = loop_new();
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-console-XXXXXX", NULL);
    char *path = g_build_filename(dir, "out.txt", NULL);
    char *spec = g_strdup_printf("file:%s", path);
    ck_assert(g_file_set_contents(path, "old contents to be truncated", -1, NULL));

    ck_assert(loop_start(loop, &error));
    struct console *console = console_open(loop, spec, NULL, NULL, NULL, NULL, NULL, &error);
    ck_assert_msg(console != NULL, "%s", error ? error->message : "");
    console_write(console, (const uint8_t *)"ping\n", 5);
    /* Without closing: the I/O thread writes it out on its own. */
    gsize len = 0;
    char *contents = NULL;
    for (int waited = 0; waited < 2000; waited++) {
        g_free(contents);
        contents = read_file(path, &len);
        if (len == 5)
            break;
        g_usleep(1000);
    }
    ck_assert_uint_eq(len, 5);
    ck_assert_mem_eq(contents, "ping\n", 5);
    g_free(contents);
    console_close(console);
    loop_free(loop);
    g_remove(path);
    g_rmdir(dir);
    g_free(spec);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(console_full_buffer_drops_and_counts)
{
    struct loop *loop = loop_new(); /* never started: nothing drains until close */
    GError *error = NULL;
    char *dir = g_dir_make_tmp("vmb-console-XXXXXX", NULL);
    char *path = g_build_filename(dir, "out.txt", NULL);
    char *spec = g_strdup_printf("file:%s", path);
    struct console *console = console_open(loop, spec, NULL, NULL, NULL, NULL, NULL, &error);
    ck_assert_msg(console != NULL, "%s", error ? error->message : "");

    enum { TOTAL = 1024 * 1024 };
    uint8_t *data = g_malloc(TOTAL);
    for (size_t i = 0; i < TOTAL; i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    for (size_t off = 0; off < TOTAL; off += 4096)
        console_write(console, data + off, 4096);
    uint64_t dropped = console_dropped(console);
    ck_assert_uint_gt(dropped, 0);
    ck_assert_uint_lt(dropped, TOTAL);
    console_close(console);

    gsize len;
    char *contents = read_file(path, &len);
    ck_assert_uint_eq(len + dropped, TOTAL);
    ck_assert_mem_eq(contents, data, len); /* what was kept is the beginning, in order */
    g_free(contents);
    g_free(data);
    loop_free(loop);
    g_remove(path);
    g_rmdir(dir);
    g_free(spec);
    g_free(path);
    g_free(dir);
}
END_TEST

/* ---- debug-exit ------------------------------------------------------------------------- */

static struct test_machine *start_debug_exit(const char *placement)
{
    struct test_machine *h = devices_machine_new();
    char *devices = g_strdup_printf("  - type: debug-exit\n"
                                    "    id: exit0\n"
                                    "    %s\n",
                                    placement);
    machine_start(h, devices);
    g_free(devices);
    return h;
}

START_TEST(debug_exit_byte_write)
{
    struct test_machine *h = start_debug_exit("pio: 0x501");
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_RUNNING);
    bus_write(h->vm->pio, 0x501, 0x10, 1);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_STOP_EXIT);
    ck_assert_int_eq(h->vm->exit_status, 0x21); /* (0x10 << 1) | 1 */
    machine_free(h);
}
END_TEST

START_TEST(debug_exit_word_and_truncation)
{
    struct test_machine *h = start_debug_exit("pio: 0xf4");
    bus_write(h->vm->pio, 0xf4, 0x0102, 2); /* (0x102 << 1) | 1 = 0x205: the OS keeps 0x05 */
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_STOP_EXIT);
    ck_assert_int_eq(h->vm->exit_status, 0x05);
    machine_free(h);

    h = start_debug_exit("pio: 0xf4");
    bus_write(h->vm->pio, 0xf4, 0, 4);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_STOP_EXIT);
    ck_assert_int_eq(h->vm->exit_status, 1);
    machine_free(h);
}
END_TEST

START_TEST(debug_exit_mmio_reads_and_stray_writes)
{
    struct test_machine *h = start_debug_exit("mmio: 0xfe000000");
    ck_assert_uint_eq(bus_read(h->vm->mmio, 0xfe000000, 1), 0xff);
    ck_assert_uint_eq(bus_read(h->vm->mmio, 0xfe000000, 4), 0xffffffff);
    bus_write(h->vm->mmio, 0xfe000001, 0x3, 1); /* not the register: ignored */
    bus_write(h->vm->mmio, 0xfe000002, 0x3, 2);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_RUNNING);
    bus_write(h->vm->mmio, 0xfe000000, 0x3, 4);
    ck_assert_int_eq(vm_stop_reason(h->vm), VM_STOP_EXIT);
    ck_assert_int_eq(h->vm->exit_status, 7);
    /* Only the first request counts. */
    bus_write(h->vm->mmio, 0xfe000000, 0x9, 4);
    ck_assert_int_eq(h->vm->exit_status, 7);
    machine_free(h);
}
END_TEST

/* ---- fw-cfg ----------------------------------------------------------------------------- */

#define FW_CFG_PORT 0x510

static void fw_select(struct test_machine *h, uint16_t key)
{
    bus_write(h->vm->pio, FW_CFG_PORT, key, 2);
}

static void fw_read(struct test_machine *h, void *buf, size_t len)
{
    uint8_t *out = buf;
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)bus_read(h->vm->pio, FW_CFG_PORT + 1, 1);
}

static uint32_t be32_at(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void start_fw_cfg(struct test_machine *h, const char *files)
{
    char *devices =
        g_strdup_printf("  - type: fw-cfg\n"
                        "    id: fwcfg\n"
                        "    pio: 0x510\n"
                        "%s%s%s",
                        files ? "    files: " : "", files ? files : "", files ? "\n" : "");
    machine_start(h, devices);
    g_free(devices);
}

START_TEST(fw_cfg_machine_items)
{
    struct test_machine *h = devices_machine_new();
    start_fw_cfg(h, NULL);
    uint8_t buf[64];

    fw_select(h, 0x0000);
    fw_read(h, buf, 4);
    ck_assert_mem_eq(buf, "QEMU", 4);
    fw_read(h, buf, 2); /* past the end */
    ck_assert_mem_eq(buf, "\0\0", 2);

    fw_select(h, 0x0001);
    fw_read(h, buf, 4);
    ck_assert_mem_eq(buf, "\x03\0\0\0", 4); /* traditional and DMA interfaces */

    fw_select(h, 0x0002);
    fw_read(h, buf, 16);
    static const uint8_t zeros[16];
    ck_assert_mem_eq(buf, zeros, 16);

    fw_select(h, 0x0003);
    fw_read(h, buf, 8);
    ck_assert_mem_eq(buf, "\0\0\0\x01\0\0\0\0", 8); /* 16 MiB, little-endian */

    fw_select(h, 0x0005);
    fw_read(h, buf, 2);
    ck_assert_mem_eq(buf, "\x03\0", 2);

    const char *cmdline = "console=ttyS0 root=/dev/vda";
    fw_select(h, 0x0014);
    fw_read(h, buf, 4);
    ck_assert_uint_eq(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24,
                      strlen(cmdline) + 1);
    fw_select(h, 0x0015);
    fw_read(h, buf, strlen(cmdline) + 1);
    ck_assert_mem_eq(buf, cmdline, strlen(cmdline) + 1);

    /* Unknown and architecture-specific keys read as zeros; the selector is write-only. */
    fw_select(h, 0x1234);
    fw_read(h, buf, 4);
    ck_assert_mem_eq(buf, zeros, 4);
    fw_select(h, 0x8000);
    fw_read(h, buf, 4);
    ck_assert_mem_eq(buf, zeros, 4);
    ck_assert_uint_eq(bus_read(h->vm->pio, FW_CFG_PORT, 2), 0);
    /* The DMA address register reads "QEMU CFG" (big-endian). */
    ck_assert_uint_eq(bus_read(h->vm->pio, FW_CFG_PORT + 4, 4), 0x554d4551);
    ck_assert_uint_eq(bus_read(h->vm->pio, FW_CFG_PORT + 8, 4), 0x47464320);
    machine_free(h);
}
END_TEST

START_TEST(fw_cfg_file_directory_and_user_files)
{
    struct test_machine *h = devices_machine_new();
    static const uint8_t blob[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02};
    char *blob_path = machine_path(h, "blob.bin");
    char *text_path = machine_path(h, "hello.txt");
    ck_assert(g_file_set_contents(blob_path, (const char *)blob, sizeof(blob), NULL));
    ck_assert(g_file_set_contents(text_path, "hello fw-cfg", -1, NULL));
    char *files = g_strdup_printf("opt/org.vmboard/blob=%s, opt/a=%s", blob_path, text_path);
    start_fw_cfg(h, files);
    g_free(files);

    uint8_t dir[4 + 3 * 64];
    fw_select(h, 0x0019);
    fw_read(h, dir, sizeof(dir));
    ck_assert_uint_eq(be32_at(dir), 3);
    /* Sorted by name; keys from 0x20 in that order. */
    static const struct {
        const char *name;
        uint32_t size;
    } expect[] = {{"etc/vmboard/board-name", 7}, {"opt/a", 12}, {"opt/org.vmboard/blob", 7}};
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *entry = dir + 4 + i * 64;
        ck_assert_uint_eq(be32_at(entry), expect[i].size);
        ck_assert_uint_eq(entry[4] << 8 | entry[5], 0x20 + i);
        ck_assert_uint_eq(entry[6] | entry[7], 0);
        ck_assert_str_eq((const char *)entry + 8, expect[i].name);
    }

    uint8_t buf[32];
    fw_select(h, 0x0020);
    fw_read(h, buf, 7);
    ck_assert_mem_eq(buf, "devtest", 7);
    fw_select(h, 0x0022);
    fw_read(h, buf, sizeof(blob) + 2);
    ck_assert_mem_eq(buf, blob, sizeof(blob));
    ck_assert_mem_eq(buf + sizeof(blob), "\0\0", 2); /* past the end */
    /* Selecting again starts over; a wide read returns the bytes in order. */
    fw_select(h, 0x0021);
    ck_assert_uint_eq(bus_read(h->vm->pio, FW_CFG_PORT + 1, 4), 0x6c6c6568); /* "hell" */
    machine_free(h);
    g_free(blob_path);
    g_free(text_path);
}
END_TEST

START_TEST(fw_cfg_bad_files)
{
    struct test_machine *h = devices_machine_new();
    machine_start_fails(h,
                        "  - type: fw-cfg\n"
                        "    id: fwcfg\n"
                        "    pio: 0x510\n"
                        "    files: opt/x=/nonexistent/file.bin\n",
                        "device 'fwcfg'",
                        "cannot read '/nonexistent/file.bin' for item 'opt/x': No such file", NULL);

    machine_start_fails(h,
                        "  - type: fw-cfg\n"
                        "    id: fwcfg\n"
                        "    pio: 0x510\n"
                        "    files: opt/x\n",
                        "files: 'opt/x' is not NAME=PATH", NULL);

    char *files = g_strdup_printf("etc/vmboard/board-name=%s/kernel.bin", h->dir);
    char *devices = g_strdup_printf("  - type: fw-cfg\n"
                                    "    id: fwcfg\n"
                                    "    pio: 0x510\n"
                                    "    files: %s\n",
                                    files);
    machine_start_fails(h, devices, "item name 'etc/vmboard/board-name' is given twice", NULL);
    g_free(devices);
    g_free(files);
    machine_free(h);
}
END_TEST

/* Guest RAM helpers for the DMA tests. */
static void ram_write(struct test_machine *h, uint64_t gpa, const void *buf, size_t len)
{
    ck_assert(memory_write(h->vm->mem, gpa, buf, len));
}

static void ram_read(struct test_machine *h, uint64_t gpa, void *buf, size_t len)
{
    ck_assert(memory_read(h->vm->mem, gpa, buf, len));
}

static void put_dma_descriptor(struct test_machine *h, uint64_t gpa, uint32_t control,
                               uint32_t length, uint64_t address)
{
    uint8_t d[16];
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(control >> (24 - 8 * i));
        d[4 + i] = (uint8_t)(length >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++)
        d[8 + i] = (uint8_t)(address >> (56 - 8 * i));
    ram_write(h, gpa, d, sizeof(d));
}

/* Start a transfer the way Linux does on x86: two 32-bit big-endian writes, high half first. */
static void fw_dma_start(struct test_machine *h, uint64_t descriptor)
{
    bus_write(h->vm->pio, FW_CFG_PORT + 4, GUINT32_SWAP_LE_BE((uint32_t)(descriptor >> 32)), 4);
    bus_write(h->vm->pio, FW_CFG_PORT + 8, GUINT32_SWAP_LE_BE((uint32_t)descriptor), 4);
}

static uint32_t dma_control(struct test_machine *h, uint64_t descriptor)
{
    uint8_t c[4];
    ram_read(h, descriptor, c, 4);
    return be32_at(c);
}

START_TEST(fw_cfg_dma)
{
    struct test_machine *h = devices_machine_new();
    char *path = machine_path(h, "data.bin");
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    ck_assert(g_file_set_contents(path, (const char *)data, sizeof(data), NULL));
    char *files = g_strdup_printf("opt/data=%s", path);
    start_fw_cfg(h, files);
    g_free(files);

    const uint64_t desc = 0x1000, buffer = 0x2000;
    uint8_t out[512];
    memset(out, 0xaa, sizeof(out));
    ram_write(h, buffer, out, sizeof(out));

    /* Select the file (key 0x21, after etc/vmboard/board-name) and read more than it has. */
    put_dma_descriptor(h, desc, 0x0021u << 16 | 0x08 | 0x02, 310, buffer);
    fw_dma_start(h, desc);
    ck_assert_uint_eq(dma_control(h, desc), 0);
    ram_read(h, buffer, out, sizeof(out));
    ck_assert_mem_eq(out, data, sizeof(data));
    static const uint8_t zeros[10];
    ck_assert_mem_eq(out + 300, zeros, 10); /* past the end: zeros */
    ck_assert_uint_eq(out[310], 0xaa);      /* and not one byte more */

    /* Skip, then read on from the same item through the data port. */
    put_dma_descriptor(h, desc, 0x0021u << 16 | 0x08 | 0x04, 100, 0);
    fw_dma_start(h, desc);
    ck_assert_uint_eq(dma_control(h, desc), 0);
    uint8_t byte;
    fw_read(h, &byte, 1);
    ck_assert_uint_eq(byte, data[100]);

    /* A read into memory that is not RAM fails with the error bit, host unharmed. */
    put_dma_descriptor(h, desc, 0x0000u << 16 | 0x08 | 0x02, 4, 0xfffffffffff0ull);
    fw_dma_start(h, desc);
    ck_assert_uint_eq(dma_control(h, desc), 0x01);
    /* Writes are refused: every item is read-only. */
    put_dma_descriptor(h, desc, 0x0021u << 16 | 0x08 | 0x10, 4, buffer);
    fw_dma_start(h, desc);
    ck_assert_uint_eq(dma_control(h, desc), 0x01);
    ram_read(h, buffer, out, 4);
    ck_assert_mem_eq(out, data, 4);
    /* A descriptor outside RAM is ignored; the next transfer works as usual. */
    fw_dma_start(h, 0x7fff00000000ull);
    put_dma_descriptor(h, desc, 0x0000u << 16 | 0x08 | 0x02, 4, buffer + 64);
    bus_write(h->vm->pio, FW_CFG_PORT + 4, 0, 4);
    bus_write(h->vm->pio, FW_CFG_PORT + 8, GUINT32_SWAP_LE_BE((uint32_t)desc), 4);
    ck_assert_uint_eq(dma_control(h, desc), 0);
    ram_read(h, buffer + 64, out, 4);
    ck_assert_mem_eq(out, "QEMU", 4);
    machine_free(h);
    g_free(path);
}
END_TEST

START_TEST(fw_cfg_mmio_layout)
{
    struct test_machine *h = devices_machine_new();
    machine_start(h, "  - type: fw-cfg\n"
                     "    id: fwcfg\n"
                     "    mmio: 0x9020000\n");
    const uint64_t base = 0x9020000;

    bus_write(h->vm->mmio, base + 8, GUINT16_SWAP_LE_BE(0x0000), 2); /* selector, big-endian */
    ck_assert_uint_eq(bus_read(h->vm->mmio, base, 4), 0x554d4551);   /* "QEMU" in order */
    bus_write(h->vm->mmio, base + 8, GUINT16_SWAP_LE_BE(0x0003), 2);
    ck_assert_uint_eq(bus_read(h->vm->mmio, base, 8), 16ull << 20); /* RAM size, one read */
    bus_write(h->vm->mmio, base + 8, GUINT16_SWAP_LE_BE(0x0005), 2);
    ck_assert_uint_eq(bus_read(h->vm->mmio, base, 2), 3);
    ck_assert_uint_eq(GUINT64_SWAP_LE_BE(bus_read(h->vm->mmio, base + 16, 8)),
                      0x51454d5520434647ull); /* "QEMU CFG" */

    /* DMA with one 64-bit write. */
    put_dma_descriptor(h, 0x3000, 0x0000u << 16 | 0x08 | 0x02, 4, 0x3100);
    bus_write(h->vm->mmio, base + 16, GUINT64_SWAP_LE_BE(0x3000ull), 8);
    ck_assert_uint_eq(dma_control(h, 0x3000), 0);
    uint8_t out[4];
    ram_read(h, 0x3100, out, 4);
    ck_assert_mem_eq(out, "QEMU", 4);
    machine_free(h);
}
END_TEST

static Suite *devices_suite(void)
{
    Suite *s = suite_create("devices");

    TCase *uart = tcase_create("uart-16550");
    tcase_add_test(uart, uart_divisor_latch_round_trip);
    tcase_add_test(uart, uart_scratch_register);
    tcase_add_test(uart, uart_transmit_reaches_console_file);
    tcase_add_test(uart, uart_thre_interrupt_semantics);
    tcase_add_test(uart, uart_iir_priorities);
    tcase_add_test(uart, uart_rx_trigger_levels);
    tcase_add_test(uart, uart_fifo_reset_and_disable);
    tcase_add_test(uart, uart_loopback_modem_lines);
    tcase_add_test(uart, uart_irq_line_follows_ier_and_out2);
    tcase_add_test(uart, uart_mmio_reg_shift);
    tcase_add_test(uart, uart_bad_properties);
    tcase_add_test(uart, uart_character_timeout);
    tcase_add_test(uart, uart_input_from_stdin_pipe);
    tcase_add_test(uart, uart_output_to_stdout);
    tcase_add_test(uart, uart_terminal_escapes);
    tcase_add_test(uart, second_stdio_console_is_refused);
    suite_add_tcase(s, uart);

    TCase *console = tcase_create("console");
    tcase_add_test(console, console_spec_errors);
    tcase_add_test(console, console_stdio_owner_named);
    tcase_add_test(console, console_file_drained_by_io_thread);
    tcase_add_test(console, console_full_buffer_drops_and_counts);
    suite_add_tcase(s, console);

    TCase *debug_exit = tcase_create("debug-exit");
    tcase_add_test(debug_exit, debug_exit_byte_write);
    tcase_add_test(debug_exit, debug_exit_word_and_truncation);
    tcase_add_test(debug_exit, debug_exit_mmio_reads_and_stray_writes);
    suite_add_tcase(s, debug_exit);

    TCase *fw_cfg = tcase_create("fw-cfg");
    tcase_add_test(fw_cfg, fw_cfg_machine_items);
    tcase_add_test(fw_cfg, fw_cfg_file_directory_and_user_files);
    tcase_add_test(fw_cfg, fw_cfg_bad_files);
    tcase_add_test(fw_cfg, fw_cfg_dma);
    tcase_add_test(fw_cfg, fw_cfg_mmio_layout);
    suite_add_tcase(s, fw_cfg);
    return s;
}

int main(void)
{
    return run_suite(devices_suite());
}

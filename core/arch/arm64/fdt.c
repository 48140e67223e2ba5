/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flattened device tree handed to the guest in x0, derived from the board so the YAML
 * stays the single source: memory, cpus (PSCI), the PSCI node, the architected timer, the
 * GIC, /chosen, and one node per board device whose plugin declares a dt_compatible.
 */
#include "config.h"

#include "arch/arm64/arm64.h"

#include <inttypes.h>
#include <libfdt.h>
#include <string.h>

#include "board.h"
#include "device.h"
#include "util.h"
#include "vm.h"

#define FDT_INITIAL_SIZE (64 * 1024)

/* Interrupt specifier cells of the GIC binding. */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_TYPE_LEVEL_HIGH 4u
/* Architected timer PPIs: secure, non-secure physical, virtual, hypervisor. */
static const uint32_t timer_ppis[] = {13, 14, 11, 10};

#define APB_CLOCK_HZ 24000000u   /* the fixed clock PrimeCell devices are given */
#define NS16550_CLOCK_HZ 1843200u /* the classic UART crystal; divisors assume it */

/* libfdt's sequential-write calls return a negative FDT_ERR_* code; stop at the first. */
struct fdt_writer {
    void *blob;
    int err;
};

static void check(struct fdt_writer *w, int result)
{
    if (w->err == 0 && result < 0)
        w->err = result;
}

static void begin_node(struct fdt_writer *w, const char *name)
{
    if (!w->err)
        check(w, fdt_begin_node(w->blob, name));
}

static void end_node(struct fdt_writer *w)
{
    if (!w->err)
        check(w, fdt_end_node(w->blob));
}

static void prop_u32(struct fdt_writer *w, const char *name, uint32_t value)
{
    if (!w->err)
        check(w, fdt_property_u32(w->blob, name, value));
}

static void prop_string(struct fdt_writer *w, const char *name, const char *value)
{
    if (!w->err)
        check(w, fdt_property_string(w->blob, name, value));
}

static void prop_bytes(struct fdt_writer *w, const char *name, const void *value, size_t length)
{
    if (!w->err)
        check(w, fdt_property(w->blob, name, value, (int)length));
}

static void prop_empty(struct fdt_writer *w, const char *name)
{
    prop_bytes(w, name, NULL, 0);
}

/* A list of 32-bit cells, big-endian as the format wants. */
static void prop_cells(struct fdt_writer *w, const char *name, const uint32_t *cells, size_t count)
{
    fdt32_t *be = g_new(fdt32_t, count ? count : 1);
    for (size_t i = 0; i < count; i++)
        be[i] = cpu_to_fdt32(cells[i]);
    prop_bytes(w, name, be, count * sizeof(fdt32_t));
    g_free(be);
}

/* reg = <address size> pairs with #address-cells = #size-cells = 2. */
static void prop_reg(struct fdt_writer *w, const uint64_t *pairs, size_t count)
{
    uint32_t cells[8];
    g_assert(count <= 2);
    for (size_t i = 0; i < count * 2; i++) {
        cells[i * 2] = (uint32_t)(pairs[i] >> 32);
        cells[i * 2 + 1] = (uint32_t)pairs[i];
    }
    prop_cells(w, "reg", cells, count * 4);
}

/* Length of a NUL-separated compatible list ending with an empty string. */
static size_t compatible_length(const char *list)
{
    size_t length = 0;
    while (list[length] != '\0')
        length += strlen(list + length) + 1;
    return length;
}

static bool compatible_has(const char *list, const char *name)
{
    for (const char *entry = list; *entry; entry += strlen(entry) + 1) {
        if (strcmp(entry, name) == 0)
            return true;
    }
    return false;
}

/* Node names allow [A-Za-z0-9,._+-]; board ids are mapped into that set. */
static char *node_name(const char *id, uint64_t address)
{
    char *name = g_strdup_printf("%s@%" PRIx64, id, address);
    for (char *c = name; *c != '@'; c++) {
        if (!g_ascii_isalnum(*c) && !strchr(",._+-", *c))
            *c = '-';
    }
    return name;
}

static const char *dt_compatible(const vmb_device *dev)
{
    const struct vmb_fw_desc *fw = dev->type->fw;
    if (!fw || !VMB_HAS_FIELD(fw, struct vmb_fw_desc, dt_compatible) || !fw->dt_compatible ||
        !fw->dt_compatible[0])
        return NULL;
    return fw->dt_compatible;
}

static bool is_gic(const vmb_device *dev)
{
    return strcmp(dev->type->name, "gic") == 0;
}

static bool wants_dt_node(const vmb_device *dev)
{
    return dev->decl->placement == PLACE_MMIO && dt_compatible(dev) && !is_gic(dev);
}

static bool needs_apb_clock(struct vm *vm)
{
    for (guint i = 0; i < vm->devices->len; i++) {
        const vmb_device *dev = vm->devices->pdata[i];
        if (wants_dt_node(dev) && compatible_has(dt_compatible(dev), "arm,primecell"))
            return true;
    }
    return false;
}

/* The console the kernel should use: the first PL011 or 16550 on MMIO. */
static const vmb_device *stdout_device(struct vm *vm)
{
    for (guint i = 0; i < vm->devices->len; i++) {
        const vmb_device *dev = vm->devices->pdata[i];
        if (!wants_dt_node(dev))
            continue;
        const char *compatible = dt_compatible(dev);
        if (compatible_has(compatible, "arm,pl011") || compatible_has(compatible, "ns16550a") ||
            compatible_has(compatible, "ns16550"))
            return dev;
    }
    return NULL;
}

static void add_device(struct fdt_writer *w, const struct arm64_state *state,
                       const vmb_device *dev)
{
    const struct board_device *decl = dev->decl;
    const char *compatible = dt_compatible(dev);
    uint64_t window = dev->type->window_size;

    char *name = node_name(decl->id, decl->address);
    begin_node(w, name);
    g_free(name);
    prop_bytes(w, "compatible", compatible, compatible_length(compatible));

    /* The DT binding's reg-shift: registers spread 1 << shift bytes apart (uart-16550). */
    const struct device_prop_value *shift = board_device_value(decl, "reg-shift");
    if (shift && shift->present && shift->uint_value <= 2) {
        window <<= shift->uint_value;
        prop_u32(w, "reg-shift", (uint32_t)shift->uint_value);
        prop_u32(w, "reg-io-width", 1u << shift->uint_value);
    }
    uint64_t reg[2] = {decl->address, window};
    prop_reg(w, reg, 1);

    if (decl->irq >= 0 && state->gic.present) {
        uint32_t irq[3] = {GIC_SPI, (uint32_t)decl->irq, IRQ_TYPE_LEVEL_HIGH};
        prop_cells(w, "interrupts", irq, 3);
    }
    if (compatible_has(compatible, "arm,primecell")) {
        uint32_t clocks[2] = {ARM64_PHANDLE_CLOCK, ARM64_PHANDLE_CLOCK};
        prop_cells(w, "clocks", clocks, 2);
        prop_bytes(w, "clock-names", "uartclk\0apb_pclk", sizeof("uartclk\0apb_pclk"));
    }
    if (compatible_has(compatible, "ns16550a") || compatible_has(compatible, "ns16550"))
        prop_u32(w, "clock-frequency", NS16550_CLOCK_HZ);
    end_node(w);
}

static void add_cpus(struct fdt_writer *w, struct vm *vm)
{
    begin_node(w, "cpus");
    prop_u32(w, "#address-cells", 1);
    prop_u32(w, "#size-cells", 0);
    for (unsigned i = 0; i < vm->board->cpus; i++) {
        uint64_t mpidr = arm64_vcpu_mpidr(i);
        char *name = g_strdup_printf("cpu@%" PRIx64, mpidr);
        begin_node(w, name);
        g_free(name);
        prop_string(w, "device_type", "cpu");
        prop_string(w, "compatible", "arm,arm-v8");
        prop_u32(w, "reg", (uint32_t)mpidr);
        prop_string(w, "enable-method", "psci");
        end_node(w);
    }
    end_node(w);
}

static void add_gic(struct fdt_writer *w, struct vm *vm, const struct arm64_gic *gic)
{
    char *name = g_strdup_printf("intc@%" PRIx64, gic->dist_base);
    begin_node(w, name);
    g_free(name);
    if (gic->version == 3) {
        prop_string(w, "compatible", "arm,gic-v3");
        uint64_t reg[4] = {gic->dist_base, ARM64_GIC_DIST_SIZE, gic->redist_base,
                           gic->redist_size};
        prop_reg(w, reg, 2);
    } else {
        prop_string(w, "compatible", "arm,cortex-a15-gic");
        uint64_t reg[4] = {gic->dist_base, 0x1000, gic->cpu_base, ARM64_GIC_CPU_SIZE};
        prop_reg(w, reg, 2);
    }
    prop_u32(w, "#interrupt-cells", 3);
    prop_empty(w, "interrupt-controller");
    prop_u32(w, "#address-cells", 2);
    prop_u32(w, "#size-cells", 2);
    prop_u32(w, "phandle", ARM64_PHANDLE_GIC);
    end_node(w);

    /* Timer PPIs; GICv2 specifiers also carry the mask of CPUs the PPI is wired to. */
    uint32_t flags = IRQ_TYPE_LEVEL_HIGH;
    if (gic->version == 2)
        flags |= ((1u << MIN(vm->board->cpus, 8u)) - 1) << 8;
    uint32_t cells[12];
    for (size_t i = 0; i < G_N_ELEMENTS(timer_ppis); i++) {
        cells[i * 3] = GIC_PPI;
        cells[i * 3 + 1] = timer_ppis[i];
        cells[i * 3 + 2] = flags;
    }
    begin_node(w, "timer");
    prop_string(w, "compatible", "arm,armv8-timer");
    prop_cells(w, "interrupts", cells, G_N_ELEMENTS(cells));
    prop_empty(w, "always-on");
    end_node(w);
}

static void add_tree(struct fdt_writer *w, struct vm *vm, const struct arm64_state *state)
{
    const struct board *board = vm->board;

    check(w, fdt_finish_reservemap(w->blob));
    begin_node(w, "");
    prop_u32(w, "#address-cells", 2);
    prop_u32(w, "#size-cells", 2);
    prop_string(w, "compatible", "vmboard,arm64-virt");
    prop_string(w, "model", board->name ? board->name : "vmboard arm64");
    if (state->gic.present)
        prop_u32(w, "interrupt-parent", ARM64_PHANDLE_GIC);

    begin_node(w, "chosen");
    prop_string(w, "bootargs", board->boot.cmdline ? board->boot.cmdline : "");
    const vmb_device *console = stdout_device(vm);
    if (console) {
        char *path = node_name(console->decl->id, console->decl->address);
        char *full = g_strconcat("/", path, NULL);
        prop_string(w, "stdout-path", full);
        g_free(full);
        g_free(path);
    }
    if (state->initrd_end > state->initrd_start) {
        fdt64_t start = cpu_to_fdt64(state->initrd_start);
        fdt64_t end = cpu_to_fdt64(state->initrd_end);
        prop_bytes(w, "linux,initrd-start", &start, sizeof(start));
        prop_bytes(w, "linux,initrd-end", &end, sizeof(end));
    }
    end_node(w);

    char *memory = g_strdup_printf("memory@%llx", (unsigned long long)ARM64_RAM_BASE);
    begin_node(w, memory);
    g_free(memory);
    prop_string(w, "device_type", "memory");
    uint64_t reg[2] = {ARM64_RAM_BASE, (board->memory + 4095) & ~4095ull};
    prop_reg(w, reg, 1);
    end_node(w);

    add_cpus(w, vm);

    begin_node(w, "psci");
    prop_bytes(w, "compatible", "arm,psci-0.2\0arm,psci", sizeof("arm,psci-0.2\0arm,psci"));
    prop_string(w, "method", "hvc");
    end_node(w);

    if (state->gic.present)
        add_gic(w, vm, &state->gic);

    if (needs_apb_clock(vm)) {
        begin_node(w, "apb-pclk");
        prop_string(w, "compatible", "fixed-clock");
        prop_u32(w, "#clock-cells", 0);
        prop_u32(w, "clock-frequency", APB_CLOCK_HZ);
        prop_string(w, "clock-output-names", "clk24mhz");
        prop_u32(w, "phandle", ARM64_PHANDLE_CLOCK);
        end_node(w);
    }

    for (guint i = 0; i < vm->devices->len; i++) {
        const vmb_device *dev = vm->devices->pdata[i];
        if (wants_dt_node(dev))
            add_device(w, state, dev);
    }
    end_node(w);
    if (!w->err)
        check(w, fdt_finish(w->blob));
}

void *arm64_build_fdt(struct vm *vm, const struct arm64_state *state, size_t *size,
                      GError **error)
{
    /* Grow the buffer until the tree fits (a board with many devices needs more). */
    for (size_t capacity = FDT_INITIAL_SIZE; capacity <= ARM64_DTB_MAX_SIZE; capacity *= 2) {
        struct fdt_writer w = {.blob = g_malloc0(capacity)};
        check(&w, fdt_create(w.blob, (int)capacity));
        add_tree(&w, vm, state);
        if (w.err == 0) {
            *size = fdt_totalsize(w.blob);
            return w.blob;
        }
        g_free(w.blob);
        if (w.err != -FDT_ERR_NOSPACE) {
            g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "building the device tree: %s",
                        fdt_strerror(w.err));
            return NULL;
        }
    }
    g_set_error(error, VMB_ERROR, VMB_ERROR_INVALID,
                "the board's device tree does not fit in the 2 MiB the boot protocol allows");
    return NULL;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "device.h"

#include <endian.h>
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"
#include "bus.h"
#include "console.h"
#include "irq.h"
#include "loop.h"
#include "memory.h"
#include "plugin.h"
#include "vm.h"

/* Handles given to plugins wrap the core object with its owner, so the core can release what
 * a device forgot when it is destroyed. */
struct device_region {
    enum vmb_space space;
    uint64_t base;
    uint64_t length;
    /* On a VM without KVM the region is mapped through routed_read/routed_write, which meet
     * the device's ioeventfds first (see below); these are the plugin's own handlers. */
    vmb_device *dev;
    struct vmb_region_ops ops;
    void *opaque;
};

/* A read shadow (host->mmio_shadow). Its memory lives as long as the device, so a reader on
 * another thread can never touch freed memory; `active` says whether the guest reads it. */
struct device_shadow {
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
    atomic_bool active; /* registered with guest memory (a KVM read-only slot) */
};

struct vmb_console {
    vmb_device *dev;
    struct console *console;
};

struct vmb_timer {
    vmb_device *dev;
    struct loop_timer *timer;
};

struct vmb_watch {
    vmb_device *dev;
    struct loop_watch *watch;
};

static struct bus *space_bus(vmb_device *dev, enum vmb_space space)
{
    switch (space) {
    case VMB_SPACE_MMIO:
        return dev->vm->mmio;
    case VMB_SPACE_PIO:
        return dev->vm->pio;
    }
    return NULL;
}

static GMutex *device_lock(vmb_device *dev)
{
    return dev->serialised ? &dev->lock : NULL;
}

/* ---- identity and properties ------------------------------------------------------------ */

static const char *host_device_id(vmb_device *dev)
{
    return dev->decl->id;
}

static int host_device_address(vmb_device *dev, enum vmb_space *space, uint64_t *base)
{
    switch (dev->decl->placement) {
    case PLACE_MMIO:
        *space = VMB_SPACE_MMIO;
        break;
    case PLACE_PIO:
        *space = VMB_SPACE_PIO;
        break;
    default:
        return -ENOENT;
    }
    *base = dev->decl->address;
    return 0;
}

static int host_device_irq(vmb_device *dev)
{
    return dev->decl->irq;
}

static void host_machine_info(vmb_device *dev, struct vmb_machine_info *out)
{
    const struct board *board = dev->vm->board;
    struct vmb_machine_info info = {
        .size = sizeof(info),
        .arch = board->arch,
        .cpus = board->cpus,
        .ram_size = board->memory,
        .board_name = board->name ? board->name : "",
        .cmdline = board->boot.cmdline ? board->boot.cmdline : "",
    };
    /* Copy no more than the plugin's struct holds: it may be from an older minor version. */
    size_t size = out->size ? MIN(out->size, sizeof(info)) : sizeof(info);
    memcpy(out, &info, size);
    out->size = size;
}

static const struct device_prop_value *find_value(vmb_device *dev, const char *name,
                                                  enum vmb_prop_type want)
{
    const struct device_prop_value *value = board_device_value(dev->decl, name);
    if (!value) {
        vmb_log_error("%s: plugin asked for property '%s', which its type does not declare",
                      dev->label, name);
        return NULL;
    }
    bool compatible = value->spec->type == want ||
                      (want == VMB_PROP_UINT && value->spec->type == VMB_PROP_SIZE) ||
                      want == VMB_PROP_STRING;
    if (!compatible) {
        vmb_log_error("%s: plugin read property '%s' with the wrong accessor for its type",
                      dev->label, name);
        return NULL;
    }
    return value->present ? value : NULL;
}

static int host_prop_present(vmb_device *dev, const char *name)
{
    const struct device_prop_value *value = board_device_value(dev->decl, name);
    return value && value->present;
}

static int host_prop_bool(vmb_device *dev, const char *name)
{
    const struct device_prop_value *value = find_value(dev, name, VMB_PROP_BOOL);
    return value ? value->bool_value : 0;
}

static int64_t host_prop_int(vmb_device *dev, const char *name)
{
    const struct device_prop_value *value = find_value(dev, name, VMB_PROP_INT);
    return value ? value->int_value : 0;
}

static uint64_t host_prop_uint(vmb_device *dev, const char *name)
{
    const struct device_prop_value *value = find_value(dev, name, VMB_PROP_UINT);
    return value ? value->uint_value : 0;
}

static const char *host_prop_string(vmb_device *dev, const char *name)
{
    const struct device_prop_value *value = find_value(dev, name, VMB_PROP_STRING);
    return value ? value->string_value : NULL;
}

/* ---- messages --------------------------------------------------------------------------- */

static void host_error(vmb_device *dev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (dev->realized) {
        /* Nobody collects the reason after realize: say it now rather than lose it. */
        char *text = g_strdup_vprintf(fmt, ap);
        vmb_log_error("%s: %s", dev->label, text);
        g_free(text);
    } else {
        if (dev->error->len)
            g_string_append(dev->error, "; ");
        g_string_append_vprintf(dev->error, fmt, ap);
    }
    va_end(ap);
}

static void host_log(vmb_device *dev, enum vmb_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    switch (level) {
    case VMB_LOG_ERROR:
        vmb_log_error("%s: %s", dev->decl->id, text);
        break;
    case VMB_LOG_WARN:
        vmb_log_warn("%s: %s", dev->decl->id, text);
        break;
    case VMB_LOG_INFO:
        vmb_log_info("%s: %s", dev->decl->id, text);
        break;
    default:
        vmb_log_debug("%s: %s", dev->decl->id, text);
        break;
    }
    g_free(text);
}

static void host_guest_error(vmb_device *dev, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    vmb_log_guest_error(&dev->guest_errors, "%s: %s", dev->decl->id, text);
    g_free(text);
}

/* ---- read shadows ---------------------------------------------------------------------- */

static bool ranges_meet(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    /* Written so that a range ending at the top of the address space cannot wrap. */
    return a >= b ? a - b < b_len : b - a < a_len;
}

static bool device_has_mmio_in(vmb_device *dev, uint64_t gpa, uint64_t size)
{
    for (guint i = 0; i < dev->regions->len; i++) {
        const struct device_region *region = dev->regions->pdata[i];
        if (region->space == VMB_SPACE_MMIO && ranges_meet(gpa, size, region->base, region->length))
            return true;
    }
    return false;
}

/* Another device the board places with its MMIO window in [gpa, gpa+size), or NULL: known
 * before any device is realized. */
static const struct board_device *shadow_declared_neighbour(vmb_device *dev, uint64_t gpa,
                                                            uint64_t size)
{
    const GPtrArray *decls = dev->vm->board->devices;
    for (guint i = 0; i < decls->len; i++) {
        const struct board_device *decl = decls->pdata[i];
        if (decl == dev->decl || decl->placement != PLACE_MMIO || !decl->dtype)
            continue;
        uint64_t window = plugin_type_window(decl->dtype, VMB_SPACE_MMIO);
        if (window && ranges_meet(gpa, size, decl->address, window))
            return decl;
    }
    return NULL;
}

/* Another device with an MMIO region in [gpa, gpa+size), or NULL. */
static vmb_device *shadow_neighbour(vmb_device *dev, uint64_t gpa, uint64_t size)
{
    for (guint d = 0; d < dev->vm->devices->len; d++) {
        vmb_device *other = dev->vm->devices->pdata[d];
        if (other != dev && device_has_mmio_in(other, gpa, size))
            return other;
    }
    return NULL;
}

static void shadow_deactivate(vmb_device *dev, struct device_shadow *shadow, const char *why)
{
    if (!atomic_load(&shadow->active))
        return;
    GError *error = NULL;
    if (!memory_remove_shadow(dev->vm->mem, shadow->host, &error)) {
        vmb_log_warn("%s: %s", dev->label, error->message);
        g_error_free(error);
        return;
    }
    atomic_store(&shadow->active, false);
    if (why)
        vmb_log_info("%s: register reads at 0x%" G_GINT64_MODIFIER "x exit again: %s", dev->label,
                     shadow->gpa, why);
}

static void shadow_activate(vmb_device *dev, struct device_shadow *shadow)
{
    vmb_device *other = shadow_neighbour(dev, shadow->gpa, shadow->size);
    if (other) {
        vmb_log_info("%s: register reads exit: the 4 KiB page at 0x%" G_GINT64_MODIFIER
                     "x also holds %s; give each device its own page for exit-free reads",
                     dev->label, shadow->gpa, other->label);
        return;
    }
    GError *error = NULL;
    if (!memory_add_shadow(dev->vm->mem, shadow->gpa, shadow->size, shadow->host, &error)) {
        vmb_log_debug("%s: register reads exit: %s", dev->label, error->message);
        g_error_free(error);
        return;
    }
    atomic_store(&shadow->active, true);
}

/* The memory is the device's at once; the guest reads it once every device is realized and
 * no other device has a region in its pages (devices_create ends with shadows_activate). */
static void *host_mmio_shadow(vmb_device *dev, uint64_t addr, uint64_t len)
{
    struct vm *vm = dev->vm;

    /* The list of shadows is read without a lock (mmio_shadow_publish, the bus read path):
     * it only grows before the device's threads and the vCPUs start. */
    if (dev->realized) {
        vmb_log_error("%s: mmio_shadow: only from realize", dev->label);
        return NULL;
    }
    if (len == 0 || addr % MEMORY_PAGE_SIZE || len % MEMORY_PAGE_SIZE || addr + len < addr ||
        len > SIZE_MAX) {
        vmb_log_error("%s: mmio_shadow: 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
                      "x is not whole 4 KiB pages",
                      dev->label, addr, len);
        return NULL;
    }
    if (!device_has_mmio_in(dev, addr, len)) {
        vmb_log_error("%s: mmio_shadow: 0x%" G_GINT64_MODIFIER "x holds none of the device's "
                      "own MMIO regions",
                      dev->label, addr);
        return NULL;
    }
    for (guint i = 0; i < dev->shadows->len; i++) {
        const struct device_shadow *other = dev->shadows->pdata[i];
        if (ranges_meet(addr, len, other->gpa, other->size)) {
            vmb_log_error("%s: mmio_shadow: 0x%" G_GINT64_MODIFIER "x already has one", dev->label,
                          addr);
            return NULL;
        }
    }
    const struct board_device *neighbour = shadow_declared_neighbour(dev, addr, len);
    if (neighbour) {
        vmb_log_info("%s: register reads exit: the board places %s (%s) in the 4 KiB page at "
                     "0x%" G_GINT64_MODIFIER "x too; give each device its own page for "
                     "exit-free reads",
                     dev->label, neighbour->id, board_loc_str(&neighbour->loc), addr);
        return NULL;
    }
    if (vm->vm_fd >= 0) {
        if (!vm->arch || !vm->arch->mmio_shadow) {
            vmb_log_debug("%s: no read shadow on %s: register reads exit", dev->label,
                          vm->arch ? vm->arch->name : "this machine");
            return NULL;
        }
        if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
            vmb_log_debug("%s: no KVM_CAP_READONLY_MEM: register reads exit", dev->label);
            return NULL;
        }
    }
    void *host = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (host == MAP_FAILED) {
        vmb_log_warn("%s: cannot allocate a read shadow: %s", dev->label, g_strerror(errno));
        return NULL;
    }
    memset(host, 0xff, len);
    struct device_shadow *shadow = g_new0(struct device_shadow, 1);
    shadow->gpa = addr;
    shadow->size = len;
    shadow->host = host;
    g_ptr_array_add(dev->shadows, shadow);
    return host;
}

/* Make the host's stores to [start, start+len) visible to uncached reads. */
static void cache_clean_to_coherency(const void *start, uint64_t len)
{
#if defined(__aarch64__)
    uint64_t ctr;
    /* CTR_EL0.DminLine: log2 of the smallest data cache line, in 4-byte words. Linux lets
     * EL0 read CTR_EL0 and clean by address (SCTLR_EL1.UCT and UCI), or emulates both. */
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    uintptr_t line = (uintptr_t)4 << ((ctr >> 16) & 0xf);
    uintptr_t end = (uintptr_t)start + len;
    for (uintptr_t at = (uintptr_t)start & ~(line - 1); at < end; at += line)
        __asm__ volatile("dc cvac, %0" : : "r"(at) : "memory");
    __asm__ volatile("dsb sy" : : : "memory");
#else
    (void)start;
    (void)len;
    atomic_thread_fence(memory_order_release); /* coherent: ordering is all that is needed */
#endif
}

static void host_mmio_shadow_publish(vmb_device *dev, const void *at, uint64_t len)
{
    for (guint i = 0; i < dev->shadows->len; i++) {
        const struct device_shadow *shadow = dev->shadows->pdata[i];
        uintptr_t offset = (uintptr_t)at - (uintptr_t)shadow->host;
        if ((uintptr_t)at >= (uintptr_t)shadow->host && offset < shadow->size &&
            len <= shadow->size - offset) {
            cache_clean_to_coherency(at, len);
            return;
        }
    }
    vmb_log_error("%s: mmio_shadow_publish: %p+0x%" G_GINT64_MODIFIER "x is not in one of the "
                  "device's read shadows",
                  dev->label, at, len);
}

static void shadows_activate(struct vm *vm)
{
    for (guint d = 0; d < vm->devices->len; d++) {
        vmb_device *dev = vm->devices->pdata[d];
        for (guint i = 0; i < dev->shadows->len; i++)
            shadow_activate(dev, dev->shadows->pdata[i]);
    }
}

/* A region newly mapped by `dev` ends the shadows of other devices it meets; an unmapped one
 * ends its device's shadows left without a region. */
static void shadows_region_mapped(vmb_device *dev, uint64_t base, uint64_t length)
{
    for (guint d = 0; d < dev->vm->devices->len; d++) {
        vmb_device *other = dev->vm->devices->pdata[d];
        for (guint i = 0; other != dev && i < other->shadows->len; i++) {
            struct device_shadow *shadow = other->shadows->pdata[i];
            if (ranges_meet(base, length, shadow->gpa, shadow->size))
                shadow_deactivate(other, shadow, "another device mapped a region in its page");
        }
    }
}

static void shadows_region_unmapped(vmb_device *dev)
{
    for (guint i = 0; i < dev->shadows->len; i++) {
        struct device_shadow *shadow = dev->shadows->pdata[i];
        if (!device_has_mmio_in(dev, shadow->gpa, shadow->size))
            shadow_deactivate(dev, shadow, NULL);
    }
}

static void shadow_free(gpointer data)
{
    struct device_shadow *shadow = data;
    munmap(shadow->host, shadow->size);
    g_free(shadow);
}

/* ---- regions and lines ------------------------------------------------------------------ */

static bool ioeventfd_signal(vmb_device *dev, enum vmb_space space, uint64_t addr, uint64_t value,
                             unsigned size);

/* Without KVM, what a read-only slot would give: the bytes of an active shadow. */
static bool shadow_read(vmb_device *dev, uint64_t addr, unsigned size, uint64_t *value)
{
    for (guint i = 0; i < dev->shadows->len; i++) {
        const struct device_shadow *shadow = dev->shadows->pdata[i];
        if (!atomic_load_explicit(&shadow->active, memory_order_acquire) || addr < shadow->gpa ||
            addr - shadow->gpa >= shadow->size || size > shadow->size - (addr - shadow->gpa))
            continue;
        const uint8_t *at = shadow->host + (addr - shadow->gpa);
        /* An aligned access is one load, as the guest's would be: never a torn register. */
        uint64_t result = 0;
        if (size == 4 && !((uintptr_t)at & 3)) {
            result = le32toh(__atomic_load_n((const uint32_t *)at, __ATOMIC_ACQUIRE));
        } else if (size == 2 && !((uintptr_t)at & 1)) {
            result = le16toh(__atomic_load_n((const uint16_t *)at, __ATOMIC_ACQUIRE));
        } else {
            for (unsigned b = 0; b < size; b++)
                result |= (uint64_t)__atomic_load_n(&at[b], __ATOMIC_ACQUIRE) << (8 * b);
        }
        *value = result; /* the shadow holds little-endian bytes, as the guest reads them */
        return true;
    }
    return false;
}

static uint64_t routed_read(void *opaque, uint64_t offset, unsigned size)
{
    struct device_region *region = opaque;
    uint64_t value;
    if (region->space == VMB_SPACE_MMIO &&
        shadow_read(region->dev, region->base + offset, size, &value))
        return value;
    return region->ops.read(region->opaque, offset, size);
}

static void routed_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    struct device_region *region = opaque;
    if (ioeventfd_signal(region->dev, region->space, region->base + offset, value, size))
        return;
    if (region->ops.write)
        region->ops.write(region->opaque, offset, value, size);
    else
        vmb_log_guest_error(&region->dev->guest_errors,
                            "%s: %u-byte write at offset 0x%" G_GINT64_MODIFIER
                            "x of a read-only region dropped",
                            region->dev->decl->id, size, offset);
}

static struct vmb_region_ops region_routed_ops(const struct device_region *region)
{
    return (struct vmb_region_ops){
        .size = sizeof(struct vmb_region_ops),
        .read = region->ops.read ? routed_read : NULL,
        .write = routed_write,
        .min_access = region->ops.min_access,
        .max_access = region->ops.max_access,
    };
}

static int host_map_region(vmb_device *dev, enum vmb_space space, uint64_t base, uint64_t length,
                           const struct vmb_region_ops *ops, void *opaque)
{
    struct bus *bus = space_bus(dev, space);
    GError *error = NULL;

    if (!bus || !ops || (!ops->read && !ops->write) || ops->size < sizeof(uint32_t)) {
        host_error(dev, "map_region: invalid space or region operations");
        return -EINVAL;
    }
    struct device_region *region = g_new0(struct device_region, 1);
    region->space = space;
    region->base = base;
    region->length = length;
    region->dev = dev;
    memcpy(&region->ops, ops, MIN(ops->size, sizeof(region->ops)));
    region->opaque = opaque;

    const struct vmb_region_ops *mapped_ops = ops;
    void *mapped_opaque = opaque;
    struct vmb_region_ops routed;
    if (dev->vm->vm_fd < 0) {
        routed = region_routed_ops(region);
        mapped_ops = &routed;
        mapped_opaque = region;
    }
    if (!bus_map(bus, base, length, mapped_ops, mapped_opaque, dev->label, device_lock(dev),
                 &error)) {
        int err = g_error_matches(error, VMB_ERROR, VMB_ERROR_BUSY) ? -EBUSY : -EINVAL;
        host_error(dev, "%s", error->message);
        g_error_free(error);
        g_free(region);
        return err;
    }
    g_ptr_array_add(dev->regions, region);
    if (space == VMB_SPACE_MMIO)
        shadows_region_mapped(dev, base, length);
    return 0;
}

static int host_unmap_region(vmb_device *dev, enum vmb_space space, uint64_t base)
{
    for (guint i = 0; i < dev->regions->len; i++) {
        struct device_region *region = dev->regions->pdata[i];
        if (region->space != space || region->base != base)
            continue;
        bus_unmap(space_bus(dev, space), base);
        /* A region unmapped from inside a handler may still be in use by another vCPU (see
         * bus_unmap): its record, the routed handlers' opaque, lives until the device goes. */
        g_ptr_array_add(dev->retired, g_ptr_array_steal_index_fast(dev->regions, i));
        if (space == VMB_SPACE_MMIO)
            shadows_region_unmapped(dev);
        return 0;
    }
    return -ENOENT;
}

/* A device drives only the line the board gave it: a plugin bug must not reach other lines. */
static bool own_line(vmb_device *dev, int line)
{
    if (line >= 0 && line == dev->decl->irq)
        return true;
    vmb_log_error("%s: plugin drove interrupt line %d, but the board gave it %s", dev->label, line,
                  dev->decl->irq >= 0 ? "another line" : "none");
    return false;
}

static int host_irq_set(vmb_device *dev, int line, int level)
{
    if (!own_line(dev, line))
        return -EINVAL;
    return irq_set_level(dev->vm, (unsigned)line, level ? 1 : 0) ? 0 : -EIO;
}

static int host_irq_pulse(vmb_device *dev, int line)
{
    if (!own_line(dev, line))
        return -EINVAL;
    return irq_pulse(dev->vm, (unsigned)line) ? 0 : -EIO;
}

/* ---- guest memory ----------------------------------------------------------------------- */

static int host_mem_read(vmb_device *dev, uint64_t gpa, void *buf, size_t len)
{
    return memory_read(dev->vm->mem, gpa, buf, len) ? 0 : -EFAULT;
}

static int host_mem_write(vmb_device *dev, uint64_t gpa, const void *buf, size_t len)
{
    return memory_write(dev->vm->mem, gpa, buf, len) ? 0 : -EFAULT;
}

static void *host_mem_translate(vmb_device *dev, uint64_t gpa, size_t len)
{
    return memory_translate(dev->vm->mem, gpa, len);
}

/* ---- consoles, timers, watches ---------------------------------------------------------- */

static void console_quit(void *opaque)
{
    vm_request_stop(opaque, VM_STOP_SIGNAL, 0);
}

static vmb_console *host_console_open(vmb_device *dev, const char *spec, vmb_console_input_fn input,
                                      void *opaque)
{
    GError *error = NULL;
    struct console *console = console_open(dev->vm->loop, spec, input, opaque, device_lock(dev),
                                           console_quit, dev->vm, &error);
    if (!console) {
        host_error(dev, "%s", error->message);
        g_error_free(error);
        return NULL;
    }
    console_set_owner(console, dev->label);
    vmb_console *handle = g_new(vmb_console, 1);
    handle->dev = dev;
    handle->console = console;
    g_ptr_array_add(dev->consoles, handle);
    return handle;
}

static void host_console_write(vmb_console *handle, const uint8_t *buf, size_t len)
{
    if (handle)
        console_write(handle->console, buf, len);
}

static void host_console_accept(vmb_console *handle)
{
    if (handle)
        console_accept(handle->console);
}

static void host_console_close(vmb_console *handle)
{
    if (!handle)
        return;
    g_ptr_array_remove_fast(handle->dev->consoles, handle);
    console_close(handle->console);
    g_free(handle);
}

static vmb_timer *host_timer_new(vmb_device *dev, vmb_timer_fn fn, void *opaque)
{
    vmb_timer *handle = g_new(vmb_timer, 1);
    handle->dev = dev;
    handle->timer = loop_timer_new(dev->vm->loop, fn, opaque, device_lock(dev));
    g_ptr_array_add(dev->timers, handle);
    return handle;
}

static void host_timer_arm(vmb_timer *handle, uint64_t delay_ns)
{
    if (handle)
        loop_timer_arm(handle->timer, delay_ns);
}

static void host_timer_cancel(vmb_timer *handle)
{
    if (handle)
        loop_timer_cancel(handle->timer);
}

static void host_timer_free(vmb_timer *handle)
{
    if (!handle)
        return;
    g_ptr_array_remove_fast(handle->dev->timers, handle);
    loop_timer_free(handle->timer);
    g_free(handle);
}

static uint64_t host_clock_ns(vmb_device *dev)
{
    return loop_clock_ns(dev->vm->loop);
}

static vmb_watch *host_watch_fd(vmb_device *dev, int fd, unsigned events, vmb_watch_fn fn,
                                void *opaque)
{
    unsigned conditions = 0;
    if (events & VMB_WATCH_IN)
        conditions |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    if (events & VMB_WATCH_OUT)
        conditions |= G_IO_OUT | G_IO_ERR;
    vmb_watch *handle = g_new(vmb_watch, 1);
    handle->dev = dev;
    /* G_IO_IN and G_IO_OUT have the values of VMB_WATCH_IN and VMB_WATCH_OUT (poll's). */
    handle->watch =
        loop_watch_fd(dev->vm->loop, fd, conditions, (loop_watch_fn)fn, opaque, device_lock(dev));
    g_ptr_array_add(dev->watches, handle);
    return handle;
}

static void host_unwatch_fd(vmb_watch *handle)
{
    if (!handle)
        return;
    g_ptr_array_remove_fast(handle->dev->watches, handle);
    loop_unwatch(handle->watch);
    g_free(handle);
}

/* ---- machine control -------------------------------------------------------------------- */

/* The guest's last output goes out before anything the device or we say about the end. */
static void host_request_exit(vmb_device *dev, int status)
{
    console_flush_all();
    vm_request_stop(dev->vm, VM_STOP_EXIT, status);
}

static void host_request_reset(vmb_device *dev)
{
    console_flush_all();
    vm_request_stop(dev->vm, VM_STOP_RESET, 0);
}

/* ---- eventfd fast paths ----------------------------------------------------------------- */

/*
 * On a KVM VM, ioeventfds and irqfds are handed to the kernel and never reach us. A VM without
 * KVM (unit tests, the device test harness) emulates them so devices take the same paths:
 * routed_write signals matching ioeventfds, the I/O thread turns irqfd writes into line
 * changes, and devices_irq_acknowledge plays the interrupt controller's end of interrupt.
 */
struct device_ioeventfd {
    enum vmb_space space;
    uint64_t addr;
    unsigned len;
    uint64_t datamatch;
    unsigned flags;
    int fd;
};

struct device_irqfd {
    vmb_device *dev;
    int line;
    int trigger_fd;
    int resample_fd;          /* -1: edge */
    struct loop_watch *watch; /* without KVM: reads trigger_fd on the I/O thread */
    bool removed;             /* kept until the device goes: the watch may be dispatching */
    bool deferred;            /* KVM said EAGAIN: registered by devices_late_init */
    uint32_t gsi;
};

/* KVM_IRQ_LINE's encoding on arm64 (Documentation/virt/kvm/api.rst): type in bits 24-27. */
#define ARM_IRQ_TYPE_SHIFT 24
#define ARM_IRQ_TYPE_MASK  0xf
#define ARM_IRQ_TYPE_SPI   1
#define ARM_IRQ_NUM_MASK   0xffff
#define ARM_SPI_BASE       32

static void eventfd_signal(int fd)
{
    uint64_t one = 1;
    /* A full counter (EAGAIN) already means "signalled". */
    if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        vmb_log_debug("eventfd %d: write failed: %s", fd, g_strerror(errno));
}

static bool ioeventfd_matches(const struct device_ioeventfd *entry, enum vmb_space space,
                              uint64_t addr, unsigned len, uint64_t datamatch, unsigned flags)
{
    return entry->space == space && entry->addr == addr && entry->len == len &&
           entry->flags == flags &&
           (!(flags & VMB_IOEVENTFD_DATAMATCH) || entry->datamatch == datamatch);
}

/* The bus write path of a VM without KVM: what KVM_IOEVENTFD would have taken. */
static bool ioeventfd_signal(vmb_device *dev, enum vmb_space space, uint64_t addr, uint64_t value,
                             unsigned size)
{
    bool matched = false;

    if (!atomic_load_explicit(&dev->ioeventfd_count, memory_order_acquire))
        return false;
    if (size < 8)
        value &= (UINT64_C(1) << (size * 8)) - 1;
    g_mutex_lock(&dev->eventfd_lock);
    for (guint i = 0; i < dev->ioeventfds->len && !matched; i++) {
        const struct device_ioeventfd *entry = dev->ioeventfds->pdata[i];
        if (entry->space == space && entry->addr == addr && entry->len == size &&
            (!(entry->flags & VMB_IOEVENTFD_DATAMATCH) || entry->datamatch == value)) {
            eventfd_signal(entry->fd);
            matched = true;
        }
    }
    g_mutex_unlock(&dev->eventfd_lock);
    return matched;
}

static int kvm_ioeventfd(vmb_device *dev, const struct device_ioeventfd *entry, bool deassign)
{
    struct kvm_ioeventfd request = {
        .datamatch = entry->datamatch,
        .addr = entry->addr,
        .len = entry->len,
        .fd = entry->fd,
    };
    if (entry->flags & VMB_IOEVENTFD_DATAMATCH)
        request.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
    if (entry->space == VMB_SPACE_PIO)
        request.flags |= KVM_IOEVENTFD_FLAG_PIO;
    if (deassign)
        request.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    return ioctl(dev->vm->vm_fd, KVM_IOEVENTFD, &request) < 0 ? -errno : 0;
}

/* The device may only bind writes inside its own regions. */
static bool inside_own_region(vmb_device *dev, enum vmb_space space, uint64_t addr, unsigned len)
{
    for (guint i = 0; i < dev->regions->len; i++) {
        const struct device_region *region = dev->regions->pdata[i];
        if (region->space == space && addr >= region->base &&
            addr - region->base < region->length && len <= region->length - (addr - region->base))
            return true;
    }
    return false;
}

static int host_ioeventfd_add(vmb_device *dev, enum vmb_space space, uint64_t addr, unsigned len,
                              uint64_t datamatch, unsigned flags, int fd)
{
    if ((len != 1 && len != 2 && len != 4 && len != 8) || fd < 0 ||
        (flags & ~VMB_IOEVENTFD_DATAMATCH) ||
        (len < 8 && (flags & VMB_IOEVENTFD_DATAMATCH) && datamatch >> (len * 8))) {
        vmb_log_error("%s: ioeventfd_add: invalid length, flags, datamatch or fd", dev->label);
        return -EINVAL;
    }
    if (!inside_own_region(dev, space, addr, len)) {
        vmb_log_error("%s: ioeventfd_add: 0x%" G_GINT64_MODIFIER "x is not in the device's "
                      "own regions",
                      dev->label, addr);
        return -EINVAL;
    }

    g_mutex_lock(&dev->eventfd_lock);
    for (guint i = 0; i < dev->ioeventfds->len; i++) {
        if (ioeventfd_matches(dev->ioeventfds->pdata[i], space, addr, len, datamatch, flags)) {
            g_mutex_unlock(&dev->eventfd_lock);
            return -EEXIST;
        }
    }
    struct device_ioeventfd *entry = g_new(struct device_ioeventfd, 1);
    *entry = (struct device_ioeventfd){space, addr, len, datamatch, flags, fd};
    if (dev->vm->vm_fd >= 0) {
        int ret = kvm_ioeventfd(dev, entry, false);
        if (ret < 0) {
            g_mutex_unlock(&dev->eventfd_lock);
            vmb_log_warn("%s: KVM_IOEVENTFD at 0x%" G_GINT64_MODIFIER "x failed: %s", dev->label,
                         addr, g_strerror(-ret));
            g_free(entry);
            return ret;
        }
    }
    g_ptr_array_add(dev->ioeventfds, entry);
    atomic_store_explicit(&dev->ioeventfd_count, dev->ioeventfds->len, memory_order_release);
    g_mutex_unlock(&dev->eventfd_lock);
    return 0;
}

static int host_ioeventfd_remove(vmb_device *dev, enum vmb_space space, uint64_t addr, unsigned len,
                                 uint64_t datamatch, unsigned flags, int fd)
{
    g_mutex_lock(&dev->eventfd_lock);
    for (guint i = 0; i < dev->ioeventfds->len; i++) {
        struct device_ioeventfd *entry = dev->ioeventfds->pdata[i];
        if (entry->fd != fd || !ioeventfd_matches(entry, space, addr, len, datamatch, flags))
            continue;
        if (dev->vm->vm_fd >= 0) {
            int ret = kvm_ioeventfd(dev, entry, true);
            if (ret < 0)
                vmb_log_warn("%s: removing KVM_IOEVENTFD at 0x%" G_GINT64_MODIFIER "x: %s",
                             dev->label, addr, g_strerror(-ret));
        }
        g_ptr_array_remove_index(dev->ioeventfds, i);
        atomic_store_explicit(&dev->ioeventfd_count, dev->ioeventfds->len, memory_order_release);
        g_mutex_unlock(&dev->eventfd_lock);
        return 0;
    }
    g_mutex_unlock(&dev->eventfd_lock);
    return -ENOENT;
}

/* The GSI KVM_IRQFD takes for a board line: on x86 the line itself (the PIC and IOAPIC pins);
 * on arm64 the SPI's index, which the default routing maps to INTID index + 32. */
static bool irqfd_gsi(struct vm *vm, int line, uint32_t *gsi)
{
    uint32_t encoded = vm->arch->irq_line_encode(vm, (unsigned)line);

    switch (vm->arch->arch) {
    case VMB_ARCH_X86_64:
        *gsi = encoded;
        return true;
    case VMB_ARCH_ARM64: {
        uint32_t type = (encoded >> ARM_IRQ_TYPE_SHIFT) & ARM_IRQ_TYPE_MASK;
        uint32_t intid = encoded & ARM_IRQ_NUM_MASK;
        if (type != ARM_IRQ_TYPE_SPI || intid < ARM_SPI_BASE)
            return false;
        *gsi = intid - ARM_SPI_BASE;
        return true;
    }
    case VMB_ARCH_S390X:
        break;
    }
    return false;
}

static int kvm_irqfd(struct device_irqfd *irqfd, uint32_t gsi, bool deassign)
{
    struct kvm_irqfd request = {
        .fd = (uint32_t)irqfd->trigger_fd,
        .gsi = gsi,
    };
    if (deassign) {
        request.flags = KVM_IRQFD_FLAG_DEASSIGN;
    } else if (irqfd->resample_fd >= 0) {
        request.flags = KVM_IRQFD_FLAG_RESAMPLE;
        request.resamplefd = (uint32_t)irqfd->resample_fd;
    }
    return ioctl(irqfd->dev->vm->vm_fd, KVM_IRQFD, &request) < 0 ? -errno : 0;
}

/* Without KVM, on the I/O thread: the device wrote trigger_fd. */
static void irqfd_triggered(void *opaque, int fd, unsigned events)
{
    struct device_irqfd *irqfd = opaque;
    uint64_t count;

    if (read(fd, &count, sizeof(count)) != sizeof(count))
        return;
    g_mutex_lock(&irqfd->dev->eventfd_lock);
    if (!irqfd->removed) {
        if (irqfd->resample_fd >= 0)
            irq_set_level(irqfd->dev->vm, (unsigned)irqfd->line, 1);
        else
            irq_pulse(irqfd->dev->vm, (unsigned)irqfd->line);
    }
    g_mutex_unlock(&irqfd->dev->eventfd_lock);
}

static int host_irqfd_add(vmb_device *dev, int line, int trigger_fd, int resample_fd)
{
    struct vm *vm = dev->vm;
    uint32_t gsi = 0;

    if (!own_line(dev, line) || trigger_fd < 0)
        return -EINVAL;
    if (vm->vm_fd >= 0) {
        /* Resampling needs an in-kernel irqchip that reports acknowledgements. */
        int cap = resample_fd >= 0 ? KVM_CAP_IRQFD_RESAMPLE : KVM_CAP_IRQFD;
        if (!vm->arch || !irqfd_gsi(vm, line, &gsi) ||
            ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
            return -ENOTSUP;
    }

    g_mutex_lock(&dev->eventfd_lock);
    for (guint i = 0; i < dev->irqfds->len; i++) {
        const struct device_irqfd *other = dev->irqfds->pdata[i];
        if (!other->removed && other->trigger_fd == trigger_fd) {
            g_mutex_unlock(&dev->eventfd_lock);
            return -EEXIST;
        }
    }
    struct device_irqfd *irqfd = g_new0(struct device_irqfd, 1);
    irqfd->dev = dev;
    irqfd->line = line;
    irqfd->trigger_fd = trigger_fd;
    irqfd->resample_fd = resample_fd;
    irqfd->gsi = gsi;
    if (vm->vm_fd >= 0) {
        int ret = kvm_irqfd(irqfd, gsi, false);
        /* EAGAIN: the in-kernel interrupt controller is not initialised yet (an arm64 vGIC
         * is, only once every vCPU exists): register it when it is, before the guest runs.
         * Anything the device signals meanwhile stays counted in the eventfd. */
        if (ret == -EAGAIN && !vm->irqchip_complete) {
            irqfd->deferred = true;
            ret = 0;
        }
        if (ret < 0) {
            g_mutex_unlock(&dev->eventfd_lock);
            vmb_log_warn("%s: KVM_IRQFD for line %d failed: %s", dev->label, line,
                         g_strerror(-ret));
            g_free(irqfd);
            return ret;
        }
    } else {
        irqfd->watch = loop_watch_fd(vm->loop, trigger_fd, G_IO_IN, irqfd_triggered, irqfd, NULL);
    }
    g_ptr_array_add(dev->irqfds, irqfd);
    g_mutex_unlock(&dev->eventfd_lock);
    return 0;
}

static int host_irqfd_remove(vmb_device *dev, int line, int trigger_fd)
{
    struct device_irqfd *irqfd = NULL;

    g_mutex_lock(&dev->eventfd_lock);
    for (guint i = 0; i < dev->irqfds->len && !irqfd; i++) {
        struct device_irqfd *candidate = dev->irqfds->pdata[i];
        if (!candidate->removed && candidate->line == line && candidate->trigger_fd == trigger_fd)
            irqfd = candidate;
    }
    if (irqfd)
        irqfd->removed = true;
    g_mutex_unlock(&dev->eventfd_lock);
    if (!irqfd)
        return -ENOENT;

    if (irqfd->watch) {
        loop_unwatch(irqfd->watch);
        irqfd->watch = NULL;
    } else if (!irqfd->deferred) {
        int ret = kvm_irqfd(irqfd, irqfd->gsi, true);
        if (ret < 0)
            vmb_log_warn("%s: removing KVM_IRQFD for line %d: %s", dev->label, line,
                         g_strerror(-ret));
    }
    return 0;
}

bool devices_late_init(struct vm *vm, GError **error)
{
    vm->irqchip_complete = true;
    for (guint d = 0; d < vm->devices->len; d++) {
        vmb_device *dev = vm->devices->pdata[d];
        g_mutex_lock(&dev->eventfd_lock);
        for (guint i = 0; i < dev->irqfds->len; i++) {
            struct device_irqfd *irqfd = dev->irqfds->pdata[i];
            if (irqfd->removed || !irqfd->deferred)
                continue;
            int ret = kvm_irqfd(irqfd, irqfd->gsi, false);
            if (ret < 0) {
                g_mutex_unlock(&dev->eventfd_lock);
                /* The device believes its interrupts are wired: starting would lose them. */
                g_set_error(error, VMB_ERROR, VMB_ERROR_KVM,
                            "%s: KVM_IRQFD for line %d failed once the interrupt controller "
                            "was ready: %s (irqfd: false on the device avoids it)",
                            dev->label, irqfd->line, g_strerror(-ret));
                return false;
            }
            irqfd->deferred = false;
        }
        g_mutex_unlock(&dev->eventfd_lock);
    }
    return true;
}

void devices_irq_acknowledge(struct vm *vm, unsigned line)
{
    if (vm->vm_fd >= 0)
        return; /* the in-kernel irqchip resamples by itself */
    for (guint d = 0; d < vm->devices->len; d++) {
        vmb_device *dev = vm->devices->pdata[d];
        g_mutex_lock(&dev->eventfd_lock);
        for (guint i = 0; i < dev->irqfds->len; i++) {
            const struct device_irqfd *irqfd = dev->irqfds->pdata[i];
            if (irqfd->removed || irqfd->resample_fd < 0 || irqfd->line != (int)line)
                continue;
            /* As KVM does: lower the line first, then tell the device. */
            irq_set_level(vm, line, 0);
            eventfd_signal(irqfd->resample_fd);
        }
        g_mutex_unlock(&dev->eventfd_lock);
    }
}

const struct vmb_host device_host_api = {
    .size = sizeof(struct vmb_host),
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .device_id = host_device_id,
    .device_address = host_device_address,
    .device_irq = host_device_irq,
    .machine_info = host_machine_info,
    .prop_present = host_prop_present,
    .prop_bool = host_prop_bool,
    .prop_int = host_prop_int,
    .prop_uint = host_prop_uint,
    .prop_string = host_prop_string,
    .error = host_error,
    .log = host_log,
    .guest_error = host_guest_error,
    .map_region = host_map_region,
    .unmap_region = host_unmap_region,
    .irq_set = host_irq_set,
    .irq_pulse = host_irq_pulse,
    .mem_read = host_mem_read,
    .mem_write = host_mem_write,
    .mem_translate = host_mem_translate,
    .console_open = host_console_open,
    .console_write = host_console_write,
    .console_accept = host_console_accept,
    .console_close = host_console_close,
    .timer_new = host_timer_new,
    .timer_arm = host_timer_arm,
    .timer_cancel = host_timer_cancel,
    .timer_free = host_timer_free,
    .clock_ns = host_clock_ns,
    .watch_fd = host_watch_fd,
    .unwatch_fd = host_unwatch_fd,
    .request_exit = host_request_exit,
    .request_reset = host_request_reset,
    .ioeventfd_add = host_ioeventfd_add,
    .ioeventfd_remove = host_ioeventfd_remove,
    .irqfd_add = host_irqfd_add,
    .irqfd_remove = host_irqfd_remove,
    .mmio_shadow = host_mmio_shadow,
    .mmio_shadow_publish = host_mmio_shadow_publish,
};

/* ---- lifecycle -------------------------------------------------------------------------- */

static const char *device_file(const vmb_device *dev)
{
    return dev->decl->entry ? dev->decl->entry->file : "(built in)";
}

/*
 * Crash reports. The report is formatted before each lifecycle call, because the handler may
 * only use async-signal-safe functions: it writes the prepared text, restores the terminal,
 * puts back the previous disposition and lets the signal take its course. Lifecycle calls run
 * on the main thread; the report pointer is per thread so a crash on another thread meanwhile
 * is not blamed on the plugin.
 */
#define CRASH_STACK_SIZE (64 * 1024)

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static struct sigaction crash_previous[G_N_ELEMENTS(crash_signals)];
static unsigned crash_depth; /* nesting of lifecycle calls; handlers installed while > 0 */
static __thread const char *crash_report;
static __thread size_t crash_report_len;
static __thread void *crash_stack; /* this thread's alternate signal stack, if we made it */

static const char *crash_signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (invalid memory access)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGFPE:
        return "SIGFPE (arithmetic exception)";
    case SIGABRT:
        return "SIGABRT (abort)";
    }
    return "a fatal signal";
}

static void crash_write(const char *text, size_t len)
{
    while (len) {
        ssize_t done = write(STDERR_FILENO, text, len);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return;
        text += done;
        len -= (size_t)done;
    }
}

static void crash_handler(int sig, siginfo_t *info, void *context)
{
    int saved_errno = errno;
    size_t index = 0;

    while (index < G_N_ELEMENTS(crash_signals) && crash_signals[index] != sig)
        index++;
    if (crash_report) {
        static const char prefix[] = "\nvmboard: fatal: ";
        const char *name = crash_signal_name(sig);
        crash_write(prefix, sizeof(prefix) - 1);
        crash_write(name, strlen(name));
        crash_write(crash_report, crash_report_len);
        crash_report = NULL; /* a second fault on the way out is not reported again */
        console_restore_terminal();
    }
    /* Hand the signal on: a fault re-executes the faulting instruction under the previous
     * disposition when we return; a sent signal (abort, kill) is raised again, and arrives
     * as soon as this handler returns. */
    if (index < G_N_ELEMENTS(crash_signals))
        sigaction(sig, &crash_previous[index], NULL);
    else
        signal(sig, SIG_DFL);
    if (info->si_code <= 0)
        raise(sig);
    errno = saved_errno;
}

/* An overflowed stack cannot run a handler: give this thread an alternate one, unless it
 * already has one (a sanitizer runtime installs its own). */
static void crash_ensure_stack(void)
{
    stack_t current;

    if (crash_stack || sigaltstack(NULL, &current) < 0 || !(current.ss_flags & SS_DISABLE))
        return;
    stack_t stack = {.ss_sp = g_malloc(CRASH_STACK_SIZE), .ss_size = CRASH_STACK_SIZE};
    if (sigaltstack(&stack, NULL) == 0)
        crash_stack = stack.ss_sp;
    else
        g_free(stack.ss_sp);
}

struct lifecycle_call {
    char *report;
    const char *outer_report;
    size_t outer_len;
};

static void lifecycle_begin(vmb_device *dev, const char *callback, struct lifecycle_call *call)
{
    call->report = g_strdup_printf(" in %s() of device type '%s' from plugin %s (device '%s' "
                                   "declared at %s); this is a bug in the plugin\n",
                                   callback, dev->type->name, device_file(dev), dev->decl->id,
                                   board_loc_str(&dev->decl->loc));
    call->outer_report = crash_report;
    call->outer_len = crash_report_len;
    crash_ensure_stack();
    if (crash_depth++ == 0) {
        struct sigaction action = {.sa_sigaction = crash_handler,
                                   .sa_flags = SA_SIGINFO | SA_ONSTACK};
        sigemptyset(&action.sa_mask);
        for (size_t i = 0; i < G_N_ELEMENTS(crash_signals); i++)
            sigaction(crash_signals[i], &action, &crash_previous[i]);
    }
    crash_report_len = strlen(call->report);
    crash_report = call->report;
}

static void lifecycle_end(struct lifecycle_call *call)
{
    crash_report = call->outer_report;
    crash_report_len = call->outer_len;
    if (--crash_depth == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(crash_signals); i++)
            sigaction(crash_signals[i], &crash_previous[i], NULL);
    }
    g_free(call->report);
}

static void device_release(vmb_device *dev)
{
    /* What the plugin did not release itself; no vCPU or I/O thread runs by now. */
    while (dev->ioeventfds->len) {
        const struct device_ioeventfd *entry = dev->ioeventfds->pdata[dev->ioeventfds->len - 1];
        host_ioeventfd_remove(dev, entry->space, entry->addr, entry->len, entry->datamatch,
                              entry->flags, entry->fd);
    }
    for (guint i = 0; i < dev->irqfds->len; i++) {
        const struct device_irqfd *irqfd = dev->irqfds->pdata[i];
        if (!irqfd->removed)
            host_irqfd_remove(dev, irqfd->line, irqfd->trigger_fd);
    }
    while (dev->regions->len) {
        struct device_region *region = dev->regions->pdata[dev->regions->len - 1];
        host_unmap_region(dev, region->space, region->base);
    }
    for (guint i = 0; i < dev->shadows->len; i++)
        shadow_deactivate(dev, dev->shadows->pdata[i], NULL);
    while (dev->watches->len)
        host_unwatch_fd(dev->watches->pdata[dev->watches->len - 1]);
    while (dev->timers->len)
        host_timer_free(dev->timers->pdata[dev->timers->len - 1]);
    while (dev->consoles->len)
        host_console_close(dev->consoles->pdata[dev->consoles->len - 1]);
}

static void device_free(vmb_device *dev)
{
    if (dev->opaque && dev->type->destroy) {
        struct lifecycle_call call;
        lifecycle_begin(dev, "destroy", &call);
        dev->type->destroy(dev->opaque);
        lifecycle_end(&call);
    }
    device_release(dev);
    g_ptr_array_unref(dev->regions);
    g_ptr_array_unref(dev->retired);
    g_ptr_array_unref(dev->ioeventfds);
    g_ptr_array_unref(dev->irqfds);
    g_ptr_array_unref(dev->shadows);
    g_mutex_clear(&dev->eventfd_lock);
    g_ptr_array_unref(dev->consoles);
    g_ptr_array_unref(dev->timers);
    g_ptr_array_unref(dev->watches);
    g_string_free(dev->error, TRUE);
    g_mutex_clear(&dev->lock);
    g_mutex_clear(&dev->guest_errors.lock);
    g_free(dev->label);
    g_free(dev);
}

static void set_device_error(vmb_device *dev, const char *stage, GError **error)
{
    g_set_error(error, VMB_ERROR, VMB_ERROR_FAILED, "%s: device '%s' (%s from %s) failed to %s: %s",
                board_loc_str(&dev->decl->loc), dev->decl->id, dev->type->name, device_file(dev),
                stage, dev->error->len ? dev->error->str : "no reason given by the plugin");
}

bool devices_create(struct vm *vm, GError **error)
{
    const struct board *board = vm->board;

    for (guint i = 0; i < board->devices->len; i++) {
        const struct board_device *decl = board->devices->pdata[i];
        g_assert(decl->dtype); /* board_validate() ran */

        vmb_device *dev = g_new0(vmb_device, 1);
        dev->vm = vm;
        dev->decl = decl;
        dev->type = decl->dtype;
        dev->serialised = !(decl->dtype->flags & VMB_TYPE_THREAD_SAFE);
        dev->label = g_strdup_printf("%s (%s)", decl->id, board_loc_str(&decl->loc));
        dev->error = g_string_new(NULL);
        dev->regions = g_ptr_array_new_with_free_func(g_free);
        dev->retired = g_ptr_array_new_with_free_func(g_free);
        dev->ioeventfds = g_ptr_array_new_with_free_func(g_free);
        dev->irqfds = g_ptr_array_new_with_free_func(g_free);
        dev->shadows = g_ptr_array_new_with_free_func(shadow_free);
        g_mutex_init(&dev->eventfd_lock);
        dev->consoles = g_ptr_array_new();
        dev->timers = g_ptr_array_new();
        dev->watches = g_ptr_array_new();
        g_mutex_init(&dev->lock);
        g_mutex_init(&dev->guest_errors.lock);
        g_ptr_array_add(vm->devices, dev);

        struct lifecycle_call call;
        lifecycle_begin(dev, "create", &call);
        dev->opaque = dev->type->create(dev, &device_host_api);
        lifecycle_end(&call);
        if (!dev->opaque) {
            set_device_error(dev, "start", error);
            devices_destroy(vm);
            return false;
        }
    }
    for (guint i = 0; i < vm->devices->len; i++) {
        vmb_device *dev = vm->devices->pdata[i];
        if (dev->type->realize) {
            struct lifecycle_call call;
            lifecycle_begin(dev, "realize", &call);
            int ret = dev->type->realize(dev->opaque);
            lifecycle_end(&call);
            if (ret != 0) {
                set_device_error(dev, "realize", error);
                devices_destroy(vm);
                return false;
            }
        }
        dev->realized = true;
    }
    shadows_activate(vm);
    return true;
}

void devices_reset(struct vm *vm)
{
    for (guint i = 0; i < vm->devices->len; i++) {
        vmb_device *dev = vm->devices->pdata[i];
        if (!dev->type->reset)
            continue;
        struct lifecycle_call call;
        g_mutex_lock(&dev->lock);
        lifecycle_begin(dev, "reset", &call);
        dev->type->reset(dev->opaque);
        lifecycle_end(&call);
        g_mutex_unlock(&dev->lock);
    }
}

void devices_destroy(struct vm *vm)
{
    /* Callbacks run on the I/O thread: stop it before any device goes away. */
    loop_stop(vm->loop);
    while (vm->devices->len) {
        vmb_device *dev = g_ptr_array_steal_index(vm->devices, vm->devices->len - 1);
        device_free(dev);
    }
}

void devices_print_stats(struct vm *vm, FILE *out)
{
    struct bus *buses[] = {vm->mmio, vm->pio};

    fprintf(out, "%-40s %-5s %-23s %12s %12s\n", "device region", "space", "range", "reads",
            "writes");
    for (size_t b = 0; b < G_N_ELEMENTS(buses); b++) {
        GArray *regions = bus_regions(buses[b]);
        for (guint i = 0; i < regions->len; i++) {
            const struct bus_region_info *info = &g_array_index(regions, struct bus_region_info, i);
            char range[48];
            g_snprintf(range, sizeof(range), "0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x",
                       info->base, info->base + info->length - 1);
            fprintf(out, "%-40s %-5s %-23s %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT "\n",
                    info->owner, bus_name(buses[b]), range, info->stats.reads, info->stats.writes);
        }
        fprintf(out, "%-40s %-5s %-23s %12" G_GUINT64_FORMAT "\n", "(unclaimed accesses)",
                bus_name(buses[b]), "", bus_unclaimed_count(buses[b]));
        g_array_unref(regions);
    }
}

vmb_device *device_find(struct vm *vm, const char *id)
{
    for (guint i = 0; id && i < vm->devices->len; i++) {
        vmb_device *dev = vm->devices->pdata[i];
        if (strcmp(dev->decl->id, id) == 0)
            return dev;
    }
    return NULL;
}

struct console *device_console(vmb_device *dev, unsigned index)
{
    if (index >= dev->consoles->len)
        return NULL;
    const vmb_console *handle = dev->consoles->pdata[index];
    return handle->console;
}

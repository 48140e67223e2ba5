/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "device.h"

#include <errno.h>
#include <string.h>

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
    if (dev->error->len)
        g_string_append(dev->error, "; ");
    g_string_append_vprintf(dev->error, fmt, ap);
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

/* ---- regions and lines ------------------------------------------------------------------ */

static int host_map_region(vmb_device *dev, enum vmb_space space, uint64_t base, uint64_t length,
                           const struct vmb_region_ops *ops, void *opaque)
{
    struct bus *bus = space_bus(dev, space);
    GError *error = NULL;

    if (!bus || !ops || (!ops->read && !ops->write) || ops->size < sizeof(uint32_t)) {
        host_error(dev, "map_region: invalid space or region operations");
        return -EINVAL;
    }
    if (!bus_map(bus, base, length, ops, opaque, dev->label, device_lock(dev), &error)) {
        host_error(dev, "%s", error->message);
        g_error_free(error);
        return -EBUSY;
    }
    struct device_region *region = g_new(struct device_region, 1);
    region->space = space;
    region->base = base;
    g_ptr_array_add(dev->regions, region);
    return 0;
}

static int host_unmap_region(vmb_device *dev, enum vmb_space space, uint64_t base)
{
    for (guint i = 0; i < dev->regions->len; i++) {
        struct device_region *region = dev->regions->pdata[i];
        if (region->space != space || region->base != base)
            continue;
        bus_unmap(space_bus(dev, space), base);
        g_ptr_array_remove_index_fast(dev->regions, i);
        return 0;
    }
    return -ENOENT;
}

/* A device drives only the line the board gave it: a plugin bug must not reach other lines. */
static bool own_line(vmb_device *dev, int line)
{
    if (line >= 0 && line == dev->decl->irq)
        return true;
    vmb_log_error("%s: plugin drove interrupt line %d, but the board gave it %s", dev->label,
                  line, dev->decl->irq >= 0 ? "another line" : "none");
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

static vmb_console *host_console_open(vmb_device *dev, const char *spec,
                                      vmb_console_input_fn input, void *opaque)
{
    GError *error = NULL;
    struct console *console = console_open(dev->vm->loop, spec, input, opaque, device_lock(dev),
                                           console_quit, dev->vm, &error);
    if (!console) {
        host_error(dev, "%s", error->message);
        g_error_free(error);
        return NULL;
    }
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

static void host_request_exit(vmb_device *dev, int status)
{
    vm_request_stop(dev->vm, VM_STOP_EXIT, status);
}

static void host_request_reset(vmb_device *dev)
{
    vm_request_stop(dev->vm, VM_STOP_RESET, 0);
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
};

/* ---- lifecycle -------------------------------------------------------------------------- */

static const char *device_file(const vmb_device *dev)
{
    return dev->decl->entry ? dev->decl->entry->file : "(built in)";
}

static void device_release(vmb_device *dev)
{
    /* What the plugin did not release itself; no vCPU or I/O thread runs by now. */
    while (dev->regions->len) {
        struct device_region *region = dev->regions->pdata[dev->regions->len - 1];
        host_unmap_region(dev, region->space, region->base);
    }
    while (dev->watches->len)
        host_unwatch_fd(dev->watches->pdata[dev->watches->len - 1]);
    while (dev->timers->len)
        host_timer_free(dev->timers->pdata[dev->timers->len - 1]);
    while (dev->consoles->len)
        host_console_close(dev->consoles->pdata[dev->consoles->len - 1]);
}

static void device_free(vmb_device *dev)
{
    if (dev->opaque && dev->type->destroy)
        dev->type->destroy(dev->opaque);
    device_release(dev);
    g_ptr_array_unref(dev->regions);
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
        dev->consoles = g_ptr_array_new();
        dev->timers = g_ptr_array_new();
        dev->watches = g_ptr_array_new();
        g_mutex_init(&dev->lock);
        g_mutex_init(&dev->guest_errors.lock);
        g_ptr_array_add(vm->devices, dev);

        dev->opaque = dev->type->create(dev, &device_host_api);
        if (!dev->opaque) {
            set_device_error(dev, "start", error);
            devices_destroy(vm);
            return false;
        }
    }
    for (guint i = 0; i < vm->devices->len; i++) {
        vmb_device *dev = vm->devices->pdata[i];
        if (dev->type->realize && dev->type->realize(dev->opaque) != 0) {
            set_device_error(dev, "realize", error);
            devices_destroy(vm);
            return false;
        }
        dev->realized = true;
    }
    return true;
}

void devices_reset(struct vm *vm)
{
    for (guint i = 0; i < vm->devices->len; i++) {
        vmb_device *dev = vm->devices->pdata[i];
        if (!dev->type->reset)
            continue;
        g_mutex_lock(&dev->lock);
        dev->type->reset(dev->opaque);
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
                    info->owner, bus_name(buses[b]), range, info->stats.reads,
                    info->stats.writes);
        }
        fprintf(out, "%-40s %-5s %-23s %12" G_GUINT64_FORMAT "\n", "(unclaimed accesses)",
                bus_name(buses[b]), "", bus_unclaimed_count(buses[b]));
        g_array_unref(regions);
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * vmboard device plugin SDK.
 *
 * Copyright (c) 2026 the vmboard developers.
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this software
 * and associated documentation files (the "Software"), to deal in the Software without
 * restriction, including without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
 * Software is furnished to do so, subject to the following conditions:
 *
 * The above copyright notice and this permission notice shall be included in all copies or
 * substantial portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
 *
 * A plugin is a shared object exporting one function, vmb_plugin_entry(), that returns a
 * descriptor listing the device types it provides. The core hands every device instance a
 * table of host functions (struct vmb_host); the plugin needs nothing but this header: no GLib,
 * no link against vmboard.
 *
 * ABI rules (docs/plugin-guide.md explains them with examples):
 *  - The core dlopens the plugin, looks up vmb_plugin_entry, calls it once on the main thread
 *    and reads abi_major, the descriptor's first field, before anything else. The entry
 *    function only returns the descriptor: it must not call into the host.
 *  - VMB_ABI_MAJOR changes only when an existing field or function changes meaning or place;
 *    the core refuses plugins of another major version and names both versions.
 *  - VMB_ABI_MINOR grows when fields or functions are appended to the end of a struct.
 *    Every extensible struct starts with a `size` field set to sizeof() by whoever fills it,
 *    so each side can tell which fields the other knows (see VMB_HAS_FIELD, VMB_HOST_HAS).
 *  - struct vmb_prop_spec has no size field because plugins give arrays of it: it keeps its
 *    layout for the whole major version. New per-property facts would come as a new array
 *    appended to struct vmb_device_type.
 *  - A plugin built against an older minor loads in a newer core; a plugin built against a
 *    newer minor than the core is refused, since it may call functions the core lacks.
 *  - Enumerations only gain values in a minor version; a plugin treats an unknown value
 *    it receives as "not supported".
 *
 * Threading rules:
 *  - create/realize/reset/destroy run on the main thread while no vCPU runs.
 *  - Region read/write callbacks run on vCPU threads; timer and fd-watch callbacks, and console
 *    input, run on the I/O thread.
 *  - Unless a type sets VMB_TYPE_THREAD_SAFE, the core holds a per-instance lock around every
 *    call into the instance, so a device never sees two of its callbacks at once.
 *  - Host functions may be called from any callback, except console_open and console_close,
 *    which may block briefly (flushing output) and belong in realize and destroy. Host
 *    functions never call back into the device synchronously (no re-entrancy).
 *  - A plugin must not block a vCPU thread on host I/O, nor keep threads of its own running
 *    after destroy returns.
 *
 * Errors: create and realize report why they failed with host->error() and a NULL or -errno
 * return; the core prints the reason once, naming the device, its board line and this plugin
 * file, and stops before the guest runs. Later, error() is logged at once. A plugin never
 * calls exit(). A plugin that crashes (SIGSEGV...) inside create, realize, reset or destroy is
 * named (file, type, callback, device) on stderr before vmboard dies.
 */
#ifndef VMBOARD_PLUGIN_H
#define VMBOARD_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VMB_ABI_MAJOR 1
#define VMB_ABI_MINOR 1

/* The one symbol a plugin exports. */
#define VMB_PLUGIN_ENTRY_SYMBOL "vmb_plugin_entry"

/* True when a struct filled by the other side (with its own `size`) contains `field`. */
#define VMB_HAS_FIELD(ptr, type, field)                                                          \
    ((ptr)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* True when the core provides host function `fn`: check before calling a function added in
 * a later minor version than the oldest vmboard the plugin supports. */
#define VMB_HOST_HAS(host, fn) (VMB_HAS_FIELD(host, struct vmb_host, fn) && (host)->fn != NULL)

#if defined(__GNUC__)
#define VMB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define VMB_EXPORT __attribute__((visibility("default")))
#else
#define VMB_PRINTF(fmt, args)
#define VMB_EXPORT
#endif

/* Opaque handle for one device instance, owned by the core. */
typedef struct vmb_device vmb_device;
/* Opaque handles for host services. */
typedef struct vmb_console vmb_console;
typedef struct vmb_timer vmb_timer;
typedef struct vmb_watch vmb_watch;

/* ---- properties ------------------------------------------------------------------------ */

enum vmb_prop_type {
    VMB_PROP_BOOL = 1,   /* true/false, yes/no, on/off */
    VMB_PROP_INT = 2,    /* signed 64-bit, decimal or 0x hex */
    VMB_PROP_UINT = 3,   /* unsigned 64-bit, decimal or 0x hex */
    VMB_PROP_SIZE = 4,   /* unsigned 64-bit with optional K/M/G/T suffix (powers of 1024) */
    VMB_PROP_STRING = 5, /* any scalar */
};

#define VMB_PROP_REQUIRED 0x1u /* the board must give a value; default_value is ignored */

struct vmb_prop_spec {
    const char *name;
    enum vmb_prop_type type;
    const char *default_value; /* as the board would write it; NULL: no value unless given */
    uint32_t flags;            /* VMB_PROP_* */
    const char *help;          /* one line, shown by `vmboard plugins --verbose` */
};
/* Property lists end with an entry whose name is NULL. */

/* ---- address regions ------------------------------------------------------------------- */

enum vmb_space {
    VMB_SPACE_MMIO = 0,
    VMB_SPACE_PIO = 1,
};

/*
 * Handlers for one region. Offsets are relative to the region's base; size is 1, 2, 4 or 8.
 * The core only calls read/write with sizes in [min_access, max_access] and with
 * offset + size <= region size: wider guest accesses are split, narrower reads are widened to
 * min_access and the wanted bytes extracted, narrower writes are dropped and logged as a
 * guest error. Values are little-endian in the guest's view.
 */
struct vmb_region_ops {
    uint32_t size; /* sizeof(struct vmb_region_ops) */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    uint8_t min_access; /* 0 means 1 */
    uint8_t max_access; /* 0 means 8 */
};

/* ---- firmware description -------------------------------------------------------------- */

/*
 * What backends put in the device tree or ACPI tables for an instance of this type. Any
 * field may be NULL when the type has no such description.
 */
struct vmb_fw_desc {
    uint32_t size;              /* sizeof(struct vmb_fw_desc) */
    const char *dt_compatible;  /* e.g. "ns16550a"; NUL-separated list ends with "\0\0" */
    const char *acpi_hid;       /* e.g. "PNP0501" */
    const char *acpi_cid;       /* optional compatible id */
};

/* ---- device types ---------------------------------------------------------------------- */

#define VMB_TYPE_THREAD_SAFE 0x1u /* the core does not serialise calls into instances */
#define VMB_TYPE_MMIO 0x2u        /* instances may be placed with `mmio: ADDR` */
#define VMB_TYPE_PIO 0x4u         /* instances may be placed with `pio: PORT` */
#define VMB_TYPE_NEEDS_ADDR 0x8u  /* one of mmio:/pio: is required */
#define VMB_TYPE_NEEDS_IRQ 0x10u  /* `irq:` is required (otherwise optional if irq_count > 0) */

struct vmb_host;

struct vmb_device_type {
    uint32_t size; /* sizeof(struct vmb_device_type) */
    const char *name;        /* unique across all loaded plugins, e.g. "uart-16550" */
    const char *description; /* one line */
    uint32_t flags;          /* VMB_TYPE_* */
    uint64_t window_size;    /* bytes (MMIO) or ports (PIO) the device claims at its address */
    uint64_t pio_window_size; /* ports claimed when placed with pio:, if not window_size (0) */
    uint32_t irq_count;      /* interrupt lines it may use: 0 or 1 in ABI 1.0 */
    const struct vmb_prop_spec *props;
    const struct vmb_fw_desc *fw;

    /*
     * Parse properties and allocate state. Return the instance's opaque pointer, or NULL
     * after calling host->error() with the reason. Claims nothing yet.
     */
    void *(*create)(vmb_device *dev, const struct vmb_host *host);
    /* Claim regions, lines, consoles, timers. Return 0, or -errno after host->error(). */
    int (*realize)(void *opaque);
    /* Put the device in its power-on state. Optional. */
    void (*reset)(void *opaque);
    /* Release everything; regions and watches still claimed are released by the core. */
    void (*destroy)(void *opaque);
};

/* ---- the host API ---------------------------------------------------------------------- */

enum vmb_log_level {
    VMB_LOG_ERROR = 0,
    VMB_LOG_WARN = 1,
    VMB_LOG_INFO = 2,
    VMB_LOG_DEBUG = 3,
};

enum vmb_arch {
    VMB_ARCH_X86_64 = 1,
    VMB_ARCH_ARM64 = 2,
    VMB_ARCH_S390X = 3,
};

struct vmb_machine_info {
    uint32_t size;          /* sizeof(struct vmb_machine_info) */
    enum vmb_arch arch;
    uint32_t cpus;
    uint64_t ram_size;      /* bytes */
    const char *board_name;
    const char *cmdline;    /* kernel command line, "" when none */
};

/* Console input: bytes typed at the backend. Return how many were taken (0..len); the rest
 * are kept and offered again after the device calls console_accept(). Runs on the I/O thread. */
typedef size_t (*vmb_console_input_fn)(void *opaque, const uint8_t *buf, size_t len);
typedef void (*vmb_timer_fn)(void *opaque);

#define VMB_WATCH_IN 0x1u
#define VMB_WATCH_OUT 0x4u
#define VMB_IOEVENTFD_DATAMATCH 0x1u /* ioeventfd_add: match the written value too */
typedef void (*vmb_watch_fn)(void *opaque, int fd, unsigned events);

struct vmb_host {
    uint32_t size; /* sizeof(struct vmb_host) as the core was built */
    uint32_t abi_major;
    uint32_t abi_minor;

    /* Identity and configuration of this instance. */
    const char *(*device_id)(vmb_device *dev);
    /* Placement from the board: returns 0 and fills space and base, or -ENOENT if none. */
    int (*device_address)(vmb_device *dev, enum vmb_space *space, uint64_t *base);
    /* The board's `irq:` line number, or -1 when none was given. */
    int (*device_irq)(vmb_device *dev);
    void (*machine_info)(vmb_device *dev, struct vmb_machine_info *out); /* set out->size */

    /* Property values, already validated against the type's schema and defaulted.
     * prop_present() is 0 for a property with no default that the board did not give. */
    int (*prop_present)(vmb_device *dev, const char *name);
    int (*prop_bool)(vmb_device *dev, const char *name);
    int64_t (*prop_int)(vmb_device *dev, const char *name);
    uint64_t (*prop_uint)(vmb_device *dev, const char *name); /* UINT and SIZE */
    const char *(*prop_string)(vmb_device *dev, const char *name);

    /* Report why create/realize failed; the core prints it with the device id and board line. */
    void (*error)(vmb_device *dev, const char *fmt, ...) VMB_PRINTF(2, 3);
    void (*log)(vmb_device *dev, enum vmb_log_level level, const char *fmt, ...) VMB_PRINTF(3, 4);
    /* Something the guest did wrong or that the model does not implement; rate limited. */
    void (*guest_error)(vmb_device *dev, const char *fmt, ...) VMB_PRINTF(2, 3);

    /* Address regions. A region must not overlap another; -EBUSY names the owner in the log. */
    int (*map_region)(vmb_device *dev, enum vmb_space space, uint64_t base, uint64_t length,
                      const struct vmb_region_ops *ops, void *opaque);
    int (*unmap_region)(vmb_device *dev, enum vmb_space space, uint64_t base);

    /* Interrupt line `line` (the board's irq: number) driven to level 0/1, or pulsed. */
    int (*irq_set)(vmb_device *dev, int line, int level);
    int (*irq_pulse)(vmb_device *dev, int line);

    /* Guest memory, bounds checked: -EFAULT if [gpa, gpa+len) is not all guest RAM. */
    int (*mem_read)(vmb_device *dev, uint64_t gpa, void *buf, size_t len);
    int (*mem_write)(vmb_device *dev, uint64_t gpa, const void *buf, size_t len);
    /* Host pointer to [gpa, gpa+len) when it lies in one RAM slot, else NULL. Valid until
     * the device is destroyed. */
    void *(*mem_translate)(vmb_device *dev, uint64_t gpa, size_t len);

    /* Consoles: spec is "stdio", "file:PATH", "none" (the board's `console:` value). */
    vmb_console *(*console_open)(vmb_device *dev, const char *spec, vmb_console_input_fn input,
                                 void *opaque);
    /* Never blocks: bytes the backend cannot take now are dropped and counted. */
    void (*console_write)(vmb_console *console, const uint8_t *buf, size_t len);
    /* The device has room again: re-offer pending input (on the I/O thread). */
    void (*console_accept)(vmb_console *console);
    void (*console_close)(vmb_console *console);

    /* Timers on the I/O thread; the callback runs once, delay_ns after arming. */
    vmb_timer *(*timer_new)(vmb_device *dev, vmb_timer_fn fn, void *opaque);
    void (*timer_arm)(vmb_timer *timer, uint64_t delay_ns);
    void (*timer_cancel)(vmb_timer *timer);
    void (*timer_free)(vmb_timer *timer);
    uint64_t (*clock_ns)(vmb_device *dev); /* monotonic, the clock timers run on */

    /* fd watches on the I/O thread. */
    vmb_watch *(*watch_fd)(vmb_device *dev, int fd, unsigned events, vmb_watch_fn fn,
                           void *opaque);
    void (*unwatch_fd)(vmb_watch *watch);

    /* Machine control: end the run with this exit status, or reset the machine. What the
     * guest sent to its consoles so far is written out before these return, so a message
     * logged after the call follows the guest's last output. */
    void (*request_exit)(vmb_device *dev, int status);
    void (*request_reset)(vmb_device *dev);

    /*
     * Eventfd fast paths (ABI 1.0 additions; check with VMB_HAS_FIELD before use).
     *
     * ioeventfd: a guest write of exactly `len` bytes (1, 2, 4 or 8) at `addr` in `space`,
     * carrying `datamatch` when flags has VMB_IOEVENTFD_DATAMATCH (any value otherwise),
     * signals eventfd `fd` instead of reaching the region's write handler. On a KVM VM the
     * kernel matches it (KVM_IOEVENTFD): the vCPU never leaves the kernel. Without KVM the
     * core's bus write path does the same matching, so a device behaves alike in both. The
     * bytes must lie in one of the device's own regions. Returns 0, -EINVAL, -EEXIST (the
     * same match is registered) or -errno from KVM; the device should then handle the
     * write in its handler (e.g. signal the eventfd itself).
     */
    int (*ioeventfd_add)(vmb_device *dev, enum vmb_space space, uint64_t addr, unsigned len,
                         uint64_t datamatch, unsigned flags, int fd);
    int (*ioeventfd_remove)(vmb_device *dev, enum vmb_space space, uint64_t addr, unsigned len,
                            uint64_t datamatch, unsigned flags, int fd);
    /*
     * irqfd: writes to eventfd `trigger_fd` drive the device's interrupt line `line`.
     * With resample_fd < 0 each write is an edge (a pulse). With resample_fd >= 0 the line
     * is level-triggered: a write asserts it, and it stays asserted until the guest
     * acknowledges the interrupt at the interrupt controller (end of interrupt); then the
     * core lowers it and signals resample_fd, and the device writes trigger_fd again if
     * its interrupt condition still holds. On a KVM VM this is KVM_IRQFD (with
     * KVM_IRQFD_FLAG_RESAMPLE); without KVM the I/O thread reads trigger_fd. Returns 0,
     * -EINVAL, -EEXIST, or -ENOTSUP when this machine cannot (no in-kernel interrupt
     * controller, no resampling): use irq_set then. While an irqfd drives a line the
     * device must not also call irq_set/irq_pulse on it. Remove before closing the fds.
     */
    int (*irqfd_add)(vmb_device *dev, int line, int trigger_fd, int resample_fd);
    int (*irqfd_remove)(vmb_device *dev, int line, int trigger_fd);

    /*
     * Read shadow (ABI 1.1; check with VMB_HOST_HAS). The guest reads the MMIO range
     * [addr, addr+len) from host memory instead of calling the region's read handler: a
     * read costs no vCPU exit. Guest writes still reach the write handler (or a matching
     * ioeventfd). Returns that memory, len bytes as the guest sees them (little-endian
     * registers), which the device must keep equal to what its read handler would return;
     * it starts filled with 0xff. addr and len must be multiples of 4096, and the range must
     * hold part of one of the device's MMIO regions. Another device's window in the range
     * makes it NULL when the board places that device there; a region another device maps
     * there anyway keeps reads trapping (-v says so). On a KVM VM this is a
     * KVM_MEM_READONLY memory slot. Returns NULL when the machine cannot (no
     * KVM_CAP_READONLY_MEM); reads keep calling the handler then. A VM without KVM reads the shadow in its bus read path, so a device
     * behaves alike in both. The shadow lasts until the device's region is unmapped or the
     * device is destroyed. Call from realize.
     *
     * Stores: aligned stores of 1, 2 or 4 bytes are seen whole. After storing, and before
     * the guest may rely on what was stored (before a write handler returns, before raising
     * the interrupt that announces it), call mmio_shadow_publish on the bytes: on arm64 the
     * guest reads device registers uncached, so the stores must be cleaned from the host's
     * data cache to the point of coherency; on x86 it costs nothing.
     */
    void *(*mmio_shadow)(vmb_device *dev, uint64_t addr, uint64_t len);
    void (*mmio_shadow_publish)(vmb_device *dev, const void *at, uint64_t len);
};

/* ---- the plugin descriptor ------------------------------------------------------------- */

struct vmb_plugin {
    uint32_t abi_major; /* VMB_ABI_MAJOR: must stay the first field */
    uint32_t abi_minor; /* VMB_ABI_MINOR */
    uint32_t size;      /* sizeof(struct vmb_plugin) */
    const char *name;
    const char *version;
    const struct vmb_device_type *const *types; /* ends with NULL */
};

typedef const struct vmb_plugin *(*vmb_plugin_entry_fn)(void);

/* Put once in a plugin: VMB_PLUGIN_DEFINE(descriptor_variable) */
#define VMB_PLUGIN_DEFINE(desc)                                                                 \
    VMB_EXPORT const struct vmb_plugin *vmb_plugin_entry(void);                                 \
    VMB_EXPORT const struct vmb_plugin *vmb_plugin_entry(void) { return &(desc); }

#ifdef __cplusplus
}
#endif

#endif /* VMBOARD_PLUGIN_H */

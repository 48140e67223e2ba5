/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test plugin: crashes on purpose inside a lifecycle callback, so tests can check that the
 * core names the plugin file, type, callback and device before the process dies.
 *   in:  create, realize, reset or destroy
 *   how: null (SIGSEGV), abort (SIGABRT) or overflow (SIGSEGV on a stack overflow)
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmboard/plugin.h>

struct crash {
    char in[16];
    char how[16];
};

/* Recursion the compiler cannot turn into a loop: each frame keeps a live buffer. The depth
 * limit is never reached (no stack is that large); it keeps the compiler from calling the
 * recursion infinite. */
static int recurse(volatile char *previous, unsigned long depth)
{
    volatile char frame[512];
    frame[0] = previous ? previous[0] : 1;
    if (depth == ULONG_MAX)
        return frame[0];
    return recurse(frame, depth + 1) + frame[0];
}

static void crash_now(const struct crash *c, const char *stage)
{
    if (strcmp(c->in, stage) != 0)
        return;
    if (strcmp(c->how, "abort") == 0)
        abort();
    if (strcmp(c->how, "overflow") == 0)
        recurse(NULL, 0);
    /* An unmapped address that is not NULL (a sanitizer build's null check would end the
     * process itself, before the fault this test is about), read from a volatile so the
     * compiler does not see it either. */
    static volatile uintptr_t nowhere = 16;
    *(volatile int *)nowhere = 1;
}

static void *crash_create(vmb_device *dev, const struct vmb_host *host)
{
    struct crash *c = calloc(1, sizeof(*c));
    if (!c) {
        host->error(dev, "out of memory");
        return NULL;
    }
    strncpy(c->in, host->prop_string(dev, "in"), sizeof(c->in) - 1);
    strncpy(c->how, host->prop_string(dev, "how"), sizeof(c->how) - 1);
    crash_now(c, "create");
    return c;
}

static int crash_realize(void *opaque)
{
    crash_now(opaque, "realize");
    return 0;
}

static void crash_reset(void *opaque)
{
    crash_now(opaque, "reset");
}

static void crash_destroy(void *opaque)
{
    crash_now(opaque, "destroy");
    free(opaque);
}

static const struct vmb_prop_spec crash_props[] = {
    {"in", VMB_PROP_STRING, "create", 0, "the callback that crashes"},
    {"how", VMB_PROP_STRING, "null", 0, "null, abort or overflow"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct vmb_device_type crash_type = {
    .size = sizeof(struct vmb_device_type),
    .name = "test-crash",
    .description = "crashes in the lifecycle callback its properties name",
    .props = crash_props,
    .create = crash_create,
    .realize = crash_realize,
    .reset = crash_reset,
    .destroy = crash_destroy,
};

static const struct vmb_device_type *const crash_types[] = {&crash_type, NULL};

static const struct vmb_plugin crash_plugin = {
    .abi_major = VMB_ABI_MAJOR,
    .abi_minor = VMB_ABI_MINOR,
    .size = sizeof(struct vmb_plugin),
    .name = "test-crash",
    .version = "1.0",
    .types = crash_types,
};

VMB_PLUGIN_DEFINE(crash_plugin)

/* SPDX-License-Identifier: MIT */
/*
 * The example watchdog tested from C with the harness library, for what a line script does
 * not express well: loops and arithmetic. Build: see the Makefile (pkg-config vmboard-devtest).
 */
#include <stdio.h>
#include <stdlib.h>

#include <vmboard/devtest.h>

#define BASE       0xfe000000u
#define REG_CTRL   0x00
#define REG_KICK   0x0c
#define REG_REMAIN 0x14
#define KICK       0x4b43494bu
#define MS         1000000ull

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "test-watchdog.c:%d: FAIL: %s: ", __LINE__, #cond);                    \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static struct vmb_devtest *start(const char *timeout)
{
    struct vmb_devtest *test = vmb_devtest_new();
    const char *settings[] = {"mmio=0xfe000000", timeout, "action=exit", "exit-status=3", NULL};

    if (vmb_devtest_load_plugin(test, "./watchdog.so") < 0 ||
        vmb_devtest_add_device(test, "example-watchdog", "wdt", settings) < 0 ||
        vmb_devtest_start(test) < 0) {
        fprintf(stderr, "test-watchdog: %s\n", vmb_devtest_error(test));
        exit(1);
    }
    return test;
}

static uint32_t reg(struct vmb_devtest *test, unsigned offset)
{
    return (uint32_t)vmb_devtest_read(test, VMB_SPACE_MMIO, BASE + offset, 4);
}

int main(void)
{
    struct vmb_devtest *test = start("timeout-ms=1000");
    int status;

    /* A guest kicking every 990 ms for a virtual minute keeps the board alive, and REMAINING
     * always tells how long it has left. */
    vmb_devtest_write(test, VMB_SPACE_MMIO, BASE + REG_CTRL, 1, 4);
    for (int i = 0; i < 60; i++) {
        vmb_devtest_advance(test, 990 * MS);
        CHECK(reg(test, REG_REMAIN) == 10, "kick %d: %u ms left", i, reg(test, REG_REMAIN));
        CHECK(vmb_devtest_stop_request(test, &status) == VMB_DEVTEST_RUNNING, "kick %d", i);
        vmb_devtest_write(test, VMB_SPACE_MMIO, BASE + REG_KICK, KICK, 4);
    }
    /* Then it stops kicking: exactly one timeout later the run ends with exit-status 3. */
    vmb_devtest_advance(test, 999 * MS);
    CHECK(vmb_devtest_stop_request(test, &status) == VMB_DEVTEST_RUNNING, "fired early");
    vmb_devtest_advance(test, 1 * MS);
    CHECK(vmb_devtest_stop_request(test, &status) == VMB_DEVTEST_EXIT && status == 3,
          "no exit with status 3 after the timeout (status %d)", status);
    CHECK(vmb_devtest_clock_ns(test) == 60 * 990 * MS + 1000 * MS, "clock %llu",
          (unsigned long long)vmb_devtest_clock_ns(test));
    vmb_devtest_free(test);

    /* Every timeout the device accepts counts down exactly that long. */
    static const char *const timeouts[] = {"timeout-ms=1", "timeout-ms=250", "timeout-ms=3600000"};
    static const unsigned long long lengths[] = {1, 250, 3600000};
    for (unsigned i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        test = start(timeouts[i]);
        vmb_devtest_write(test, VMB_SPACE_MMIO, BASE + REG_CTRL, 1, 4);
        vmb_devtest_advance(test, lengths[i] * MS - 1);
        CHECK(vmb_devtest_stop_request(test, NULL) == VMB_DEVTEST_RUNNING, "%s", timeouts[i]);
        vmb_devtest_advance(test, 1);
        CHECK(vmb_devtest_stop_request(test, NULL) == VMB_DEVTEST_EXIT, "%s", timeouts[i]);
        vmb_devtest_free(test);
    }

    printf("%s: test-watchdog\n", failures ? "FAIL" : "PASS");
    return failures ? 1 : 0;
}

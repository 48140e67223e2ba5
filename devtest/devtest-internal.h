/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the script runner needs from the harness beyond <vmboard/devtest.h>. */
#ifndef VMBOARD_DEVTEST_INTERNAL_H
#define VMBOARD_DEVTEST_INTERNAL_H

#include <stdbool.h>

#include "vmboard/devtest.h"

/* Like vmb_devtest_add_device, recording the script line the device was declared on, so
 * validation messages and crash reports point at it. */
int devtest_add_device_at(struct vmb_devtest *test, const char *type, const char *id,
                          const char *const *settings, int line);
/* The file name validation messages use for declared devices (the script's path). */
void devtest_set_board_name(struct vmb_devtest *test, const char *name);
bool devtest_verbose(const struct vmb_devtest *test);
bool devtest_started(const struct vmb_devtest *test);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asks for a reset with PSCI SYSTEM_RESET: vmboard ends cleanly with status 0. */
#include "defs.h"
    .text
    .global _start
_start:
    bl uart_init
    adr x0, message
    bl puts
    ldr x0, =PSCI_SYSTEM_RESET
    hvc #0
1:  wfi
    b 1b
message: .asciz "asking for a reset\n"
    .balign 4
#include "lib.S"

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes 0x21 to debug-exit on MMIO: vmboard must end with status (0x21 << 1) | 1 = 67. */
#include "defs.h"
#define DEBUG_EXIT 0x09010000
    .text
    .global _start
_start:
    bl uart_init
    adr x0, message
    bl puts
    ldr x1, =DEBUG_EXIT
    mov w2, #0x21
    str w2, [x1]
1:  wfi
    b 1b
message: .asciz "exiting through debug-exit\n"
    .balign 4
#include "lib.S"

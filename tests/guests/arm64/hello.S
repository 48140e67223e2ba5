/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Greets over the PL011, checks that x0 held a device tree at entry, powers off with PSCI. */
#include "defs.h"
    .text
    .global _start
_start:
    mov x20, x0                 /* the device tree vmboard passed */
    bl uart_init
    adr x0, greeting
    bl puts

    /* A flattened device tree starts with the big-endian magic 0xd00dfeed. */
    ldr w1, [x20]
    rev w1, w1
    ldr w2, =0xd00dfeed
    cmp w1, w2
    b.ne 1f
    adr x0, dtb_ok
    bl puts
    mov x0, x20
    bl puthex
    adr x0, newline
    bl puts
    b power_off
1:  adr x0, dtb_bad
    bl puts
    b power_off

greeting: .asciz "Hello from arm64 over the PL011\n"
dtb_ok:   .asciz "device tree in x0 at 0x"
dtb_bad:  .asciz "no device tree in x0\n"
newline:  .asciz "\n"
    .balign 4
#include "lib.S"

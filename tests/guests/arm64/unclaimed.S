/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reads and writes an address no device claims: reads must give all-ones at every width,
 * writes must be dropped, and the guest must keep running. Prints what it read.
 */
#include "defs.h"
#define UNCLAIMED 0x0a000000
    .text
    .global _start
_start:
    bl uart_init
    ldr x20, =UNCLAIMED
    ldr w21, [x20]              /* 32-bit read */
    str w21, [x20]              /* a write that must be dropped */
    ldr x22, [x20, #8]          /* 64-bit read */
    ldrb w23, [x20, #3]         /* 8-bit read */

    adr x0, read32
    bl puts
    mov x0, x21
    bl puthex
    adr x0, read64
    bl puts
    mov x0, x22
    bl puthex
    adr x0, read8
    bl puts
    mov x0, x23
    bl puthex
    adr x0, newline
    bl puts

    mov x1, #0xffffffff
    cmp x21, x1
    b.ne 1f
    cmn x22, #1                 /* x22 == all-ones */
    b.ne 1f
    cmp x23, #0xff
    b.ne 1f
    adr x0, verdict_ok
    bl puts
    b power_off
1:  adr x0, verdict_bad
    bl puts
    b power_off

read32:      .asciz "unclaimed read32=0x"
read64:      .asciz " read64=0x"
read8:       .asciz " read8=0x"
newline:     .asciz "\n"
verdict_ok:  .asciz "unclaimed: all-ones, still running\n"
verdict_bad: .asciz "unclaimed: WRONG VALUES\n"
    .balign 4
#include "lib.S"

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest of bench/bench-exit on arm64: COUNT 32-bit MMIO writes to TARGET (each one a
 * userspace exit), then a write of 0x10 to debug-exit (vmboard status 33). COUNT and TARGET
 * sit at fixed offsets behind a magic, so the benchmark patches them into a copy of this
 * image instead of assembling code at run time. Position independent: the bare loop and
 * vmboard both enter it at the start of RAM with the MMU off.
 */
#define DEBUG_EXIT 0x09010000
#define EXIT_VALUE 0x10
    .text
    .global _start
_start:
    b main
    .balign 8
    .ascii "VMBBENCH"           /* offset 8: what bench-exit checks before patching */
count:
    .quad 1                     /* offset 16: writes to do, at least 1 */
target:
    .quad 0x0a000000            /* offset 24: where they go */

main:
    adr x1, count
    ldr x2, [x1]
    ldr x3, [x1, #8]
1:  str w2, [x3]                /* a plain store: KVM decodes it (ISV) and exits to userspace */
    subs x2, x2, #1
    b.ne 1b
    ldr x1, =DEBUG_EXIT
    mov w2, #EXIT_VALUE
    str w2, [x1]
2:  wfi
    b 2b
    .ltorg

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loads a register pair from the PL011: KVM cannot decode such an access to a device (no
 * valid syndrome), so vmboard must stop with status 1 and print the registers by name.
 */
#include "defs.h"
    .text
    .global _start
_start:
    bl uart_init
    adr x0, message
    bl puts
    ldr x0, =PL011_BASE
    ldr x19, =0x1234abcd        /* shows up in the register dump */
    ldp x1, x2, [x0]
    adr x0, survived
    bl puts
    b power_off
message:  .asciz "loading a pair from the UART\n"
survived: .asciz "the pair load RETURNED\n"
    .balign 4
#include "lib.S"

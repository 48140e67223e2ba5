/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU 0 starts vCPU 1 with PSCI CPU_ON (entry point and context id), waits for it to
 * report, checks that a second CPU_ON answers ALREADY_ON, and powers the machine off.
 * Memory is shared without the MMU (device-ordered accesses), so plain loads see the flag.
 */
#include "defs.h"
    .text
    .global _start
_start:
    bl uart_init
    adr x0, primary_up
    bl puts

    ldr x0, =PSCI_CPU_ON
    mov x1, #1                  /* target MPIDR: vCPU 1 */
    adr x2, secondary
    ldr x3, =0x5eed             /* context id, arrives in the secondary's x0 */
    hvc #0
    cbnz x0, cpu_on_failed

    adr x5, flag
1:  ldr w6, [x5]
    cbz w6, 1b
    cmp w6, #1
    b.ne bad_context
    adr x0, secondary_seen
    bl puts

    ldr x0, =PSCI_CPU_ON
    mov x1, #1
    adr x2, secondary
    mov x3, #0
    hvc #0
    cmn x0, #-PSCI_ALREADY_ON   /* x0 == -4 */
    b.ne not_already_on
    adr x0, already_on
    bl puts
    b power_off

cpu_on_failed:
    adr x0, msg_cpu_on_failed
    bl puts
    b power_off
bad_context:
    adr x0, msg_bad_context
    bl puts
    b power_off
not_already_on:
    adr x0, msg_not_already_on
    bl puts
    b power_off

secondary:
    ldr x1, =0x5eed
    mrs x2, mpidr_el1
    and x2, x2, #0xff
    adr x5, flag
    mov w6, #2
    cmp x0, x1
    b.ne 2f
    cmp x2, #1
    b.ne 2f
    mov w6, #1
2:  str w6, [x5]
3:  wfi
    b 3b

primary_up:         .asciz "vCPU 0 up, starting vCPU 1 with PSCI CPU_ON\n"
secondary_seen:     .asciz "vCPU 1 ran with its context id and MPIDR 1\n"
already_on:         .asciz "second CPU_ON: ALREADY_ON\n"
msg_cpu_on_failed:  .asciz "CPU_ON FAILED\n"
msg_bad_context:    .asciz "vCPU 1 saw a WRONG context id or MPIDR\n"
msg_not_already_on: .asciz "second CPU_ON did NOT answer ALREADY_ON\n"
    .balign 8
flag: .word 0
    .balign 4
#include "lib.S"

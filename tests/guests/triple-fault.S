/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Long mode: load an empty IDT and execute an undefined instruction. The #UD cannot be
 * delivered, nor the #DF that follows, so the CPU shuts down (a triple fault), which vmboard
 * must report and end with a non-zero status.
 */
#include "common.h"

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        lea     stack_top(%rip), %rsp
        lea     message(%rip), %rsi
        call    puts
        lidt    empty_idt(%rip)
        ud2
        GUEST_EXIT EXIT_FAIL        /* not reached */

message:
        .asciz  "about to triple fault\n"
        .balign 8
empty_idt:
        .word   0
        .quad   0

#include "lib64.S"

        .bss
        .balign 16
        .space  4096
stack_top:

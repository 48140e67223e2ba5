/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real mode: write EXIT_VALUE (given at build time, -DEXIT_VALUE=N) to debug-exit, so the
 * test can check that vmboard ends with status (N << 1) | 1.
 */
#include "common.h"

        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        REAL_MODE_START
        mov     $message, %si
        call    puts16
        GUEST_EXIT EXIT_VALUE

message:
        .asciz  "exit\n"

#include "lib16.S"

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Real mode: print a greeting through the UART, then exit through debug-exit (status 33). */
#include "common.h"

        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        REAL_MODE_START
        mov     $message, %si
        call    puts16
        GUEST_EXIT EXIT_PASS

message:
        .asciz  "Hello from real mode\n"

#include "lib16.S"

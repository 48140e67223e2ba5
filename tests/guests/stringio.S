/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * String I/O with counts above one, in real mode: `rep outsb` of a whole line into the UART
 * (with its FIFO enabled, so 16 bytes fit at once), then `rep insb`, `rep insw` and `rep insl`
 * from a port nobody claims, whose every byte must read 0xff. Prints what it found and exits
 * with status 33, or 35 if a byte was wrong.
 */
#include "common.h"

        .section .text.start, "ax"
        .code16
        .globl _start
_start:
        REAL_MODE_START
        mov     $0x07, %al              /* enable and clear the FIFOs */
        mov     $UART_FCR, %dx
        out     %al, %dx
        mov     $UART_LSR, %dx
1:      in      %dx, %al
        test    $UART_LSR_TEMT, %al
        jz      1b

        mov     $line, %si
        mov     $(line_end - line), %cx
        mov     $UART_DATA, %dx
        rep outsb

        /* 8 bytes each way; the buffer starts as zeros. */
        mov     $UNCLAIMED_PORT, %dx
        mov     $buffer, %di
        mov     $8, %cx
        rep insb
        mov     $buffer + 8, %di
        mov     $4, %cx
        rep insw
        mov     $buffer + 16, %di
        mov     $2, %cx
        rep insl
        /* And a dropped string write. */
        mov     $line, %si
        mov     $4, %cx
        rep outsb

        mov     $buffer, %si
        mov     $24, %cx
        xor     %bx, %bx                /* bytes that read 0xff */
2:      lodsb
        cmp     $0xff, %al
        jne     3f
        inc     %bx
3:      loop    2b

        mov     $ins_message, %si
        call    puts16
        movzwl  %bx, %eax
        call    putdec16
        mov     $ins_suffix, %si
        call    puts16
        cmp     $24, %bx
        jne     4f
        GUEST_EXIT EXIT_PASS
4:      GUEST_EXIT EXIT_FAIL

line:
        .ascii  "rep outsb ok\n"
line_end:
ins_message:
        .asciz  "rep ins: "
ins_suffix:
        .asciz  " of 24 bytes are 0xff\n"
        .balign 8
buffer:
        .fill   24, 1, 0

#include "lib16.S"

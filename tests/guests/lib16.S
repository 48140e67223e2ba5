/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Real-mode helpers, #included by guests linked at offset 0 (tests/guests/real.ld).
 * They use DS for data and need a stack; REAL_MODE_START (common.h) sets both up.
 */

        .code16
/* putc16: send %al to the UART once it can take a byte. Preserves all registers. */
putc16:
        push    %dx
        push    %ax
        mov     $UART_LSR, %dx
1:      in      %dx, %al
        test    $UART_LSR_THRE, %al
        jz      1b
        pop     %ax
        mov     $UART_DATA, %dx
        out     %al, %dx
        pop     %dx
        ret

/* puts16: send the NUL-terminated string at DS:SI. Preserves all registers. */
puts16:
        push    %si
        push    %ax
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc16
        jmp     1b
2:      pop     %ax
        pop     %si
        ret

/* putdec16: send %eax as an unsigned decimal number. Preserves all registers. */
putdec16:
        pushal
        mov     $10, %ecx
        xor     %bx, %bx                /* digits pushed */
1:      xor     %edx, %edx
        div     %ecx
        push    %dx
        inc     %bx
        test    %eax, %eax
        jnz     1b
2:      pop     %ax
        add     $'0', %al
        call    putc16
        dec     %bx
        jnz     2b
        popal
        ret

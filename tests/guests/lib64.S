/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 64-bit helpers, #included by long-mode guests (tests/guests/long.ld, loaded at 1 MiB). */

        .code64
/* putc: send %al to the UART once it can take a byte. Preserves all registers. */
putc:
        push    %rdx
        push    %rax
        mov     $UART_LSR, %dx
1:      in      %dx, %al
        test    $UART_LSR_THRE, %al
        jz      1b
        pop     %rax
        mov     $UART_DATA, %dx
        out     %al, %dx
        pop     %rdx
        ret

/* puts: send the NUL-terminated string at %rsi. Preserves all registers. */
puts:
        push    %rsi
        push    %rax
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      pop     %rax
        pop     %rsi
        ret

/* putsn: send %rcx bytes at %rsi, stopping early at a NUL. Preserves all registers. */
putsn:
        push    %rsi
        push    %rcx
        push    %rax
        test    %rcx, %rcx
        jz      2f
1:      lodsb
        test    %al, %al
        jz      2f
        call    putc
        dec     %rcx
        jnz     1b
2:      pop     %rax
        pop     %rcx
        pop     %rsi
        ret

/* putdec: send %rax as an unsigned decimal number. Preserves all registers. */
putdec:
        push    %rax
        push    %rbx
        push    %rcx
        push    %rdx
        mov     $10, %rcx
        xor     %rbx, %rbx
1:      xor     %rdx, %rdx
        div     %rcx
        push    %rdx
        inc     %rbx
        test    %rax, %rax
        jnz     1b
2:      pop     %rax
        add     $'0', %al
        call    putc
        dec     %rbx
        jnz     2b
        pop     %rdx
        pop     %rcx
        pop     %rbx
        pop     %rax
        ret

/* fw_cfg_select: select item %ax. Preserves all registers. */
fw_cfg_select:
        push    %rdx
        mov     $FW_CFG_SELECTOR, %dx
        out     %ax, %dx
        pop     %rdx
        ret

/* fw_cfg_read: read %rcx bytes of the selected item to %rdi with one string instruction.
 * Preserves all registers. */
fw_cfg_read:
        push    %rdi
        push    %rcx
        push    %rdx
        mov     $FW_CFG_DATA, %dx
        rep insb
        pop     %rdx
        pop     %rcx
        pop     %rdi
        ret

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 64-bit long mode, entered by vmboard with its own page tables and GDT: print a greeting
 * and, when the board has fw-cfg with the file "etc/vmboard/board-name", the board's name.
 * Exits through debug-exit (status 33).
 */
#include "common.h"

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        lea     stack_top(%rip), %rsp
        lea     greeting(%rip), %rsi
        call    puts

        call    fw_cfg_present
        test    %al, %al
        jz      done
        lea     board_name_file(%rip), %rsi
        call    fw_cfg_find_file        /* -> %ax selector, %ecx size; ZF clear if found */
        jz      done
        call    fw_cfg_select
        cmp     $255, %ecx
        jbe     1f
        mov     $255, %ecx
1:      lea     buffer(%rip), %rdi
        call    fw_cfg_read
        movb    $0, (%rdi, %rcx)
        lea     board_prefix(%rip), %rsi
        call    puts
        mov     %rdi, %rsi
        call    puts
        mov     $'\n', %al
        call    putc
done:
        GUEST_EXIT EXIT_PASS

greeting:
        .asciz  "Hello from long mode\n"
board_prefix:
        .asciz  "This is vmboard board "
board_name_file:
        .asciz  "etc/vmboard/board-name"

#include "lib64.S"
#include "fwcfg-lib64.S"

        .bss
        .balign 16
buffer:
        .space  256
        .space  4096
stack_top:

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fw-cfg reads: the signature, the CPU count and the RAM size, printed so the test can compare
 * them with the board, then the size of the file "etc/vmboard/board-name" if there is one.
 * Exits with status 33 when the signature is right, 35 otherwise.
 */
#include "common.h"

        .section .text.start, "ax"
        .code64
        .globl _start
_start:
        cli
        cld
        lea     stack_top(%rip), %rsp

        mov     $FW_CFG_SIGNATURE, %ax
        call    fw_cfg_select
        lea     buffer(%rip), %rdi
        mov     $4, %rcx
        call    fw_cfg_read
        movb    $0, 4(%rdi)
        xor     %r12d, %r12d            /* r12 = 1: the signature was right */
        cmpl    $0x554d4551, (%rdi)     /* "QEMU" */
        sete    %r12b
        lea     signature_message(%rip), %rsi
        call    puts
        mov     %rdi, %rsi
        call    puts
        mov     $'\n', %al
        call    putc

        mov     $FW_CFG_NB_CPUS, %ax
        call    fw_cfg_select
        movq    $0, (%rdi)
        mov     $2, %rcx
        call    fw_cfg_read
        lea     cpus_message(%rip), %rsi
        call    puts
        movzwl  (%rdi), %eax
        call    putdec
        mov     $'\n', %al
        call    putc

        mov     $FW_CFG_RAM_SIZE, %ax
        call    fw_cfg_select
        mov     $8, %rcx
        call    fw_cfg_read
        lea     ram_message(%rip), %rsi
        call    puts
        mov     (%rdi), %rax
        call    putdec
        mov     $'\n', %al
        call    putc

        lea     board_name_file(%rip), %rsi
        call    fw_cfg_find_file
        jz      1f
        lea     file_message(%rip), %rsi
        call    puts
        lea     board_name_file(%rip), %rsi
        call    puts
        lea     size_message(%rip), %rsi
        call    puts
        mov     %ecx, %eax
        call    putdec
        mov     $'\n', %al
        call    putc

1:      test    %r12d, %r12d
        jz      2f
        GUEST_EXIT EXIT_PASS
2:      GUEST_EXIT EXIT_FAIL

signature_message:
        .asciz  "signature: "
cpus_message:
        .asciz  "cpus: "
ram_message:
        .asciz  "ram: "
file_message:
        .asciz  "file: "
size_message:
        .asciz  " size "
board_name_file:
        .asciz  "etc/vmboard/board-name"

#include "lib64.S"
#include "fwcfg-lib64.S"

        .bss
        .balign 16
buffer:
        .space  64
        .space  4096
stack_top:

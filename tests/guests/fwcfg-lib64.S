/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fw-cfg helpers for long-mode guests (need lib64.S). */

        .code64
/* fw_cfg_present: %al = 1 when the signature item reads "QEMU", else 0. */
fw_cfg_present:
        push    %rcx
        push    %rdi
        sub     $8, %rsp
        mov     $FW_CFG_SIGNATURE, %ax
        call    fw_cfg_select
        mov     %rsp, %rdi
        mov     $4, %rcx
        call    fw_cfg_read
        cmpl    $0x554d4551, (%rsp)     /* "QEMU" */
        sete    %al
        add     $8, %rsp
        pop     %rdi
        pop     %rcx
        ret

/*
 * fw_cfg_find_file: look the NUL-terminated name at %rsi up in the file directory.
 * Found: ZF clear, %ax = selector, %ecx = size. Not found: ZF set.
 * The directory is big-endian: a 4-byte count, then 64-byte entries
 * { u32 size; u16 select; u16 reserved; char name[56]; }.
 */
fw_cfg_find_file:
        push    %rbx
        push    %rdx
        push    %rdi
        push    %r8
        sub     $64, %rsp
        mov     $FW_CFG_FILE_DIR, %ax
        call    fw_cfg_select
        mov     %rsp, %rdi
        mov     $4, %rcx
        call    fw_cfg_read
        mov     (%rsp), %ebx
        bswap   %ebx                    /* entries left */
        cmp     $4096, %ebx             /* a hostile count would keep us reading forever */
        jbe     1f
        mov     $4096, %ebx
1:      test    %ebx, %ebx
        jz      4f
        mov     %rsp, %rdi
        mov     $64, %rcx
        call    fw_cfg_read
        dec     %ebx
        /* compare names */
        xor     %rcx, %rcx
2:      mov     (%rsi, %rcx), %al
        cmp     8(%rsp, %rcx), %al
        jne     1b
        test    %al, %al
        jz      3f
        inc     %rcx
        cmp     $FW_CFG_FILE_NAME_LEN, %rcx
        jb      2b
        jmp     1b
3:      mov     (%rsp), %ecx
        bswap   %ecx
        movzwl  4(%rsp), %eax
        xchg    %al, %ah
        or      $1, %r8                 /* clears ZF */
        jmp     5f
4:      xor     %r8, %r8                /* sets ZF */
5:      lea     64(%rsp), %rsp          /* lea keeps the flags */
        pop     %r8
        pop     %rdi
        pop     %rdx
        pop     %rbx
        ret

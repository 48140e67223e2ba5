/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Our own identity map for long-mode guests that touch MMIO far above their RAM. */

        .code64
/*
 * setup_identity_paging: build our own identity map of the low 4 GiB with 2 MiB pages (so
 * MMIO such as the LAPIC is reachable whatever vmboard mapped) and switch CR3 to it.
 * Uses the page-aligned 6-page area `paging_area` the guest reserves in .bss.
 */
setup_identity_paging:
        push    %rax
        push    %rcx
        push    %rdx
        push    %rdi
        lea     paging_area(%rip), %rdi
        mov     %rdi, %rdx
        mov     $(6 * 4096 / 8), %rcx
        xor     %eax, %eax
        rep stosq
        mov     %rdx, %rdi              /* PML4 */
        lea     4096 + 3(%rdx), %rax    /* -> PDPT, present + writable */
        mov     %rax, (%rdi)
        lea     4096(%rdx), %rdi        /* PDPT */
        lea     8192 + 3(%rdx), %rax    /* -> first of four page directories */
        xor     %rcx, %rcx
1:      mov     %rax, (%rdi, %rcx, 8)
        add     $4096, %rax
        inc     %rcx
        cmp     $4, %rcx
        jne     1b
        lea     8192(%rdx), %rdi        /* 2048 PDEs, contiguous */
        mov     $0x83, %rax             /* present + writable + 2 MiB page */
        xor     %rcx, %rcx
2:      mov     %rax, (%rdi, %rcx, 8)
        add     $0x200000, %rax
        inc     %rcx
        cmp     $2048, %rcx
        jne     2b
        mov     %rdx, %cr3
        pop     %rdi
        pop     %rdx
        pop     %rcx
        pop     %rax
        ret

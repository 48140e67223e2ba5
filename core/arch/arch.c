/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Backend selection: only the host architecture's backend is built (KVM cannot run others). */
#include "config.h"

#include "arch/arch.h"

#if defined(__x86_64__)
#include "arch/x86/x86.h"
#endif
#if defined(__aarch64__)
#include "arch/arm64/arm64.h"
#endif

const struct arch_ops *arch_lookup(enum vmb_arch arch)
{
    switch (arch) {
#if defined(__x86_64__)
    case VMB_ARCH_X86_64:
        return &x86_arch_ops;
#endif
#if defined(__aarch64__)
    case VMB_ARCH_ARM64:
        return &arm64_arch_ops;
#endif
    default:
        return NULL;
    }
}

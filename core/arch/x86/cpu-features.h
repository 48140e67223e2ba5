/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID features a board may turn off (or insist on) with `cpu: {features: {NAME: off}}`,
 * named as QEMU's -cpu option names them. Plain data, so the board parser can offer the
 * names (and a did-you-mean) on any host; the x86 backend applies them.
 */
#ifndef VMBOARD_ARCH_X86_CPU_FEATURES_H
#define VMBOARD_ARCH_X86_CPU_FEATURES_H

#include <stdint.h>

enum x86_cpuid_register { X86_CPUID_EAX, X86_CPUID_EBX, X86_CPUID_ECX, X86_CPUID_EDX };

struct x86_cpu_feature {
    const char *name;
    uint32_t leaf;
    uint32_t subleaf;
    enum x86_cpuid_register reg;
    uint32_t mask;
};

static const struct x86_cpu_feature x86_cpu_features[] = {
    {"monitor", 1, 0, X86_CPUID_ECX, 1u << 3},
    {"vmx", 1, 0, X86_CPUID_ECX, 1u << 5},
    {"fma", 1, 0, X86_CPUID_ECX, 1u << 12},
    {"pcid", 1, 0, X86_CPUID_ECX, 1u << 17},
    {"sse4.1", 1, 0, X86_CPUID_ECX, 1u << 19},
    {"sse4.2", 1, 0, X86_CPUID_ECX, 1u << 20},
    {"x2apic", 1, 0, X86_CPUID_ECX, 1u << 21},
    {"movbe", 1, 0, X86_CPUID_ECX, 1u << 22},
    {"popcnt", 1, 0, X86_CPUID_ECX, 1u << 23},
    {"tsc-deadline", 1, 0, X86_CPUID_ECX, 1u << 24},
    {"aes", 1, 0, X86_CPUID_ECX, 1u << 25},
    {"xsave", 1, 0, X86_CPUID_ECX, 1u << 26},
    {"avx", 1, 0, X86_CPUID_ECX, 1u << 28},
    {"f16c", 1, 0, X86_CPUID_ECX, 1u << 29},
    {"rdrand", 1, 0, X86_CPUID_ECX, 1u << 30},
    {"hypervisor", 1, 0, X86_CPUID_ECX, 1u << 31},
    {"fsgsbase", 7, 0, X86_CPUID_EBX, 1u << 0},
    {"avx2", 7, 0, X86_CPUID_EBX, 1u << 5},
    {"smep", 7, 0, X86_CPUID_EBX, 1u << 7},
    {"erms", 7, 0, X86_CPUID_EBX, 1u << 9},
    {"avx512f", 7, 0, X86_CPUID_EBX, 1u << 16},
    {"rdseed", 7, 0, X86_CPUID_EBX, 1u << 18},
    {"smap", 7, 0, X86_CPUID_EBX, 1u << 20},
    {"umip", 7, 0, X86_CPUID_ECX, 1u << 2},
    {"pku", 7, 0, X86_CPUID_ECX, 1u << 3},
    {"la57", 7, 0, X86_CPUID_ECX, 1u << 16},
    {"svm", 0x80000001, 0, X86_CPUID_ECX, 1u << 2},
    {"pdpe1gb", 0x80000001, 0, X86_CPUID_EDX, 1u << 26},
    {"invtsc", 0x80000007, 0, X86_CPUID_EDX, 1u << 8},
    /* KVM paravirtual features (leaf 0x40000001). */
    {"kvmclock", 0x40000001, 0, X86_CPUID_EAX, (1u << 0) | (1u << 3)},
    {"kvm-asyncpf", 0x40000001, 0, X86_CPUID_EAX, 1u << 4},
    {"kvm-steal-time", 0x40000001, 0, X86_CPUID_EAX, 1u << 5},
    {"kvm-pv-eoi", 0x40000001, 0, X86_CPUID_EAX, 1u << 6},
    {"kvm-pv-unhalt", 0x40000001, 0, X86_CPUID_EAX, 1u << 7},
};

#define X86_CPU_FEATURE_COUNT (sizeof(x86_cpu_features) / sizeof(x86_cpu_features[0]))

#endif

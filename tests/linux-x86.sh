#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's stock amd64 kernel under vmboard on a real x86 KVM: the one inside an outer VM
# that QEMU emulates with SVM (scripts/x86/nested-run). The outer VM boots the inner guest
# once per case (tests/linux-x86-outer.sh); this script reads the outer console and checks
# what a user relies on: the guest's marker, nproc = cpus, the UART found through ACPI, and
# vmboard's exit status after poweroff, reboot and a panic with panic=-1.
#
# Environment: VMBOARD (the built binary), VMB_TEST_SRCDIR, VMB_TEST_BUILDDIR (set by make
# check). Skips (77) only when QEMU cannot be had and CI is not "true".
set -u

srcdir=${VMB_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
x86_scripts=$(cd "$srcdir/../scripts/x86" && pwd)
. "$x86_scripts/nested-lib.sh"
nested_test_setup linux-x86

nested_install linux-x86 qemu-system-x86_64:qemu-system-x86 cpio:cpio lz4:lz4 apt-get:apt
nested_require linux-x86 qemu-system-x86_64:qemu-system-x86

nested_fetch_linux linux-x86
"$x86_scripts/make-initramfs" "$work/guest.gz" "$BUSYBOX" "$srcdir/linux-x86-init.sh" ||
    exit 1

# The PVH case boots the uncompressed vmlinux inside the same bzImage: its payload (at
# payload_offset past the setup code) is the ELF kernel, LZ4-compressed in Debian's build.
files="$work/guest.gz=guest.gz $srcdir/boards/linux-x86.yaml=linux-x86.yaml"
setup_sects=$(od -An -tu1 -j 497 -N 1 "$LINUX_VMLINUZ" | tr -d ' ')
payload_offset=$(od -An -tu4 -j 584 -N 4 "$LINUX_VMLINUZ" | tr -d ' ')
payload_length=$(od -An -tu4 -j 588 -N 4 "$LINUX_VMLINUZ" | tr -d ' ')
skip=$(( (setup_sects + 1) * 512 + payload_offset ))
# lz4 complains about the size word the kernel build appends after the frame; the ELF magic
# tells whether the kernel came out whole enough to try.
if command -v lz4 >/dev/null 2>&1; then
    tail -c +$((skip + 1)) "$LINUX_VMLINUZ" | head -c "$payload_length" | lz4 -dc > "$work/vmlinux" 2>/dev/null
fi
if [ -s "$work/vmlinux" ] && [ "$(head -c 4 "$work/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    files="$files $work/vmlinux=vmlinux"
else
    echo "linux-x86: no ELF vmlinux could be unpacked from the bzImage; the PVH case is not run"
    rm -f "$work/vmlinux"
fi

# shellcheck disable=SC2086
nested_boot "$build" 900 "$srcdir/linux-x86-outer.sh" $files
check "the outer VM ran the cases (nested-run status $nested_status)" [ "$nested_status" = 0 ]

# The console between a case's markers.
section() {
    sed -n "/^VMB-CASE-BEGIN $1\$/,/VMB-CASE-END $1 /p" "$log.txt"
}
case_status() {
    section "$1" | sed -n "s/.*VMB-CASE-END $1 status=\([0-9]*\).*/\1/p"
}
# What a case ended with, for the check's line: its status, or that the marker is missing.
ended_with() {
    status=$(case_status "$1")
    echo "${status:-no end marker on the console}"
}
has() { # has CASE TEXT
    section "$1" | grep -qF -- "$2"
}

for cpus in 1 2; do
    name=poweroff-${cpus}cpu
    check "$name: the guest reached /init" has "$name" "VMB-GUEST-BOOTED"
    check "$name: nproc is $cpus" has "$name" "VMB-GUEST-NPROC=$cpus"
    check "$name: the UART is an ACPI PNP0501 device" has "$name" "VMB-GUEST-ACPI-UART=yes"
    check "$name: the serial driver runs the 16550A at 0x3f8" has "$name" "uart:16550A port:000003F8"
    check "$name: poweroff -f ends vmboard with status 0 ($(ended_with "$name"))" \
        [ "$(case_status "$name")" = 0 ]
done
check "reboot: the guest reached /init" has reboot "VMB-GUEST-ACTION=reboot"
check "reboot: reboot -f ends vmboard with status 0 ($(ended_with reboot))" \
    [ "$(case_status reboot)" = 0 ]
check "panic: the console shows the panic" has panic "Kernel panic"
ended_by_itself() {
    status=$(case_status "$1")
    # 124: time-limit ended it
    [ -n "$status" ] && [ "$status" != 124 ]
}
check "panic: vmboard ended by itself, not by the 60 s timeout ($(ended_with panic))" \
    ended_by_itself panic
if [ -f "$work/vmlinux" ]; then
    check "pvh: the ELF vmlinux reached /init through its PVH entry" has pvh "VMB-GUEST-BOOTED"
    check "pvh: poweroff -f ends vmboard with status 0 ($(ended_with pvh))" \
        [ "$(case_status pvh)" = 0 ]
fi

check_summary

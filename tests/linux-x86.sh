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
top_srcdir=$(cd "$srcdir/.." && pwd)
vmboard=${VMBOARD:-./vmboard}
build=$(cd "$(dirname "$vmboard")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vmboard-linux-x86.XXXXXX")
trap 'rm -rf "$work"' EXIT

# What the nested run needs; installed here when we are root (scripts/install-deps lists them).
need="qemu-system-x86_64:qemu-system-x86 cpio:cpio lz4:lz4 apt-get:apt"
missing=
for pair in $need; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done
if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
    echo "linux-x86: installing$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >"$work/apt.log" 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
              $missing >"$work/apt.log" 2>&1; }
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    echo "linux-x86: qemu-system-x86_64 is not available (apt-get install qemu-system-x86)"
    [ "${CI:-}" = true ] && { echo "0 passed, 1 failed"; exit 1; }
    exit 77
fi

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
    description=$1
    shift
    if "$@"; then
        echo "ok - $description"
        passed=$((passed + 1))
    else
        echo "not ok - $description"
        failed=$((failed + 1))
    fi
}

eval "$("$top_srcdir/scripts/x86/fetch-linux")" || { echo "linux-x86: cannot fetch Debian's kernel"; exit 1; }
"$top_srcdir/scripts/x86/make-initramfs" "$work/guest.gz" "$BUSYBOX" "$srcdir/linux-x86-init.sh" ||
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

log=$work/console.log
# shellcheck disable=SC2086
"$top_srcdir/scripts/x86/nested-run" --build "$build" --timeout 900 \
    "$srcdir/linux-x86-outer.sh" $files </dev/null >"$log" 2>&1
nested_status=$?
tr -d '\r' < "$log" > "$log.txt"
check "the outer VM ran the cases (nested-run status $nested_status)" [ "$nested_status" = 0 ]

# The console between a case's markers.
section() {
    sed -n "/^VMB-CASE-BEGIN $1\$/,/VMB-CASE-END $1 /p" "$log.txt"
}
case_status() {
    section "$1" | sed -n "s/.*VMB-CASE-END $1 status=\([0-9]*\).*/\1/p"
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
    check "$name: poweroff -f ends vmboard with status 0" [ "$(case_status "$name")" = 0 ]
done
check "reboot: the guest reached /init" has reboot "VMB-GUEST-ACTION=reboot"
check "reboot: reboot -f ends vmboard with status 0" [ "$(case_status reboot)" = 0 ]
check "panic: the console shows the panic" has panic "Kernel panic"
ended_by_itself() {
    status=$(case_status "$1")
    # timeout's own status, or vmboard's after the SIGTERM of busybox's timeout
    [ -n "$status" ] && [ "$status" != 124 ] && [ "$status" != 143 ]
}
check "panic: vmboard ended by itself (not the 60 s timeout)" ended_by_itself panic
if [ -f "$work/vmlinux" ]; then
    check "pvh: the ELF vmlinux reached /init through its PVH entry" has pvh "VMB-GUEST-BOOTED"
    check "pvh: poweroff -f ends vmboard with status 0" [ "$(case_status pvh)" = 0 ]
fi

if [ "$failed" != 0 ] || [ -n "${VMB_TEST_VERBOSE:-}" ]; then
    echo "---- outer VM console ----"
    cat "$log.txt"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

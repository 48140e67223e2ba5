#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Linux-guest figures for the virtio-mmio devices (printed, never judged): block throughput
# and IOPS (fio), network throughput over the TAP (iperf3), and vmboard's userspace exits per
# block request (--stats), next to QEMU's microvm machine with the same kernel, initramfs,
# image size and virtio-mmio devices, in the same run.
#
# Linux guests need a KVM that can run them. Like tests/virtio-linux.sh this uses the one
# inside the outer VM of scripts/x86/nested-run (QEMU TCG with SVM); there, the guest's kernel
# code is emulated, so compare the columns with each other, not with bare-metal figures. On
# a host whose own /dev/kvm runs Linux, run bench/virtio-linux-outer.sh directly in a
# directory holding vmlinuz, guest.gz, tun.ko (or a loaded tun module) and iperf3.
#
#   bench/virtio-linux.sh [BUILD_DIR]    (default: the current directory)
#
# Needs qemu-system-x86 and, for the figures, fio and iperf3 on this host (installed with
# apt-get when run as root); they are copied into the guest and the outer VM.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
build=$(cd "${1:-.}" && pwd)
x86_scripts=$top_srcdir/scripts/x86
. "$x86_scripts/nested-lib.sh"
nested_workdir virtio-bench

nested_install "virtio-linux bench" qemu-system-x86_64:qemu-system-x86 fio:fio iperf3:iperf3 \
    cpio:cpio || true
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
    { echo "virtio-linux bench: qemu-system-x86_64 is needed for the outer VM"; exit 0; }

nested_fetch_linux "virtio-linux bench"

# Host binaries with their libraries at the same paths, for the guest's initramfs.
with_libraries() { # with_libraries BINARY...: prints FILE=PATH pairs
    for binary in "$@"; do
        printf '%s=%s ' "$binary" "${binary#/}"
        nested_host_libraries "$binary" |
            while read -r library; do printf '%s=%s ' "$library" "${library#/}"; done
    done
}

extra=
for module in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net \
        virtio-rng; do
    nested_module "$module" "$work/$module.ko"
    extra="$extra $work/$module.ko=modules/$module.ko"
done
tools=
for tool in fio iperf3; do
    command -v $tool >/dev/null 2>&1 && tools="$tools $(command -v $tool)"
done
# shellcheck disable=SC2086
[ -z "$tools" ] || extra="$extra $(with_libraries $tools)"
# shellcheck disable=SC2086
"$x86_scripts/make-initramfs" "$work/guest.gz" "$BUSYBOX" \
    "$here/virtio-linux-init.sh" $extra

nested_module tun "$work/tun.ko"
files="$work/guest.gz=guest.gz $work/tun.ko=tun.ko"
if command -v iperf3 >/dev/null 2>&1; then
    files="$files $(command -v iperf3)=iperf3 $(nested_libraries lib "$(command -v iperf3)")"
fi
qemu=$(command -v qemu-system-x86_64)
files="$files $qemu=qemu/qemu-system-x86_64 $(nested_libraries qemu "$qemu")"
for rom in /usr/share/qemu/bios-microvm.bin /usr/share/qemu/qboot.rom \
        /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin \
        /usr/share/qemu/pvh.bin; do
    [ -f "$rom" ] && files="$files $rom=qemu/${rom##*/}"
done

# shellcheck disable=SC2086
nested_boot "$build" 2400 "$here/virtio-linux-outer.sh" $files || true

section() {
    sed -n "/^VMB-VMM-BEGIN $1\$/,/^VMB-VMM-END $1\$/p" "$log.txt"
}
figure() { # figure VMM TEST: "IOPS=..., BW=..." or the iperf3 sender rate
    section "$1" | sed -n "s/^VMB-BENCH $2: //p" | head -n 1 |
        sed -e 's/.*\(IOPS=[^,]*\), BW=\([^ ]*\).*/\1 \2/' \
            -e 's/.* \([0-9.]* [KMG]*bits\/sec\).*/\1/'
}

echo "virtio-mmio with Debian's kernel $(basename "$LINUX_VMLINUZ"), nested KVM in a QEMU TCG outer VM"
printf '%-22s %-32s %-32s\n' test vmboard "qemu (microvm)"
for test in seq-write seq-read rand-read-4k rand-write-4k "net guest-to-host" \
        "net host-to-guest"; do
    printf '%-22s %-32s %-32s\n' "$test" "$(figure vmboard "$test")" "$(figure qemu "$test")"
done
for vmm in vmboard qemu; do
    if section $vmm | grep -q SKIPPED; then
        echo "($vmm did not come along into the outer VM)"
    elif ! section $vmm | grep -q '^VMB-BENCH '; then
        echo "($vmm gave no figures; its part of the outer console follows)"
        section $vmm | tail -n 40
    fi
done

# Userspace exits per block request: disk0's register accesses (--stats) over the requests
# the guest completed (/sys/block/vda/stat: reads and writes completed).
stat=$(section vmboard | sed -n 's/^VMB-BENCH-DISKSTAT //p')
disk0=$(section vmboard | grep -E '^VMB-STDERR: disk0 \(' | awk '{print $(NF-1) + $NF}')
if [ -n "$stat" ] && [ -n "$disk0" ]; then
    # shellcheck disable=SC2086
    set -- $stat
    requests=$(( $1 + $5 ))
    echo "vmboard: $disk0 userspace exits on disk0 for $requests block requests" \
        "($(awk "BEGIN {printf \"%.3f\", $disk0 / $requests}") per request, the driver's" \
        "set-up included; the line below says which fast paths were used)"
    section vmboard | sed -n 's/^VMB-STDERR: vmboard: disk0: //p'
fi
# The guest's count of virtio interrupts, and the spurious ones (count, unhandled, last).
for vmm in vmboard qemu; do
    section $vmm | sed -n "s/^VMB-BENCH-IRQ /$vmm: interrupt /p"
done
if ! grep -q 'VMB-BENCH ' "$log.txt"; then
    echo "no figures: the outer console follows"
    cat "$log.txt"
fi

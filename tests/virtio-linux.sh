#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The virtio-mmio devices under Debian's stock amd64 kernel, on a real x86 KVM: the one inside
# an outer VM that QEMU emulates (scripts/x86/nested-run). The kernel finds the devices
# through ACPI (LNRO0005); the inner guest (tests/virtio-linux-init.sh) reports what it sees,
# the outer VM (tests/virtio-linux-outer.sh) runs it and checks the disk image with debugfs.
# Checks what a user relies on: an ext4 image made here with mkfs.ext4 is mounted and written
# in the guest; after a clean poweroff, and after a SIGKILL right after `sync`, the file is in
# the image; writes to a read-only disk fail in the guest and leave its image unchanged; the
# guest pings the TAP's host side in a network namespace; /dev/hwrng gives bytes; hvc0
# carries a login shell's output; no queue notification exits to vmboard.
#
# Environment: VMBOARD (the built binary), VMB_TEST_SRCDIR (set by make check). Skips (77)
# only when QEMU or e2fsprogs cannot be had and CI is not "true".
set -u

srcdir=${VMB_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
x86_scripts=$(cd "$srcdir/../scripts/x86" && pwd)
. "$x86_scripts/nested-lib.sh"
nested_test_setup virtio-linux

nested_install virtio-linux qemu-system-x86_64:qemu-system-x86 cpio:cpio mkfs.ext4:e2fsprogs \
    debugfs:e2fsprogs apt-get:apt
nested_require virtio-linux qemu-system-x86_64:qemu-system-x86 mkfs.ext4:e2fsprogs \
    debugfs:e2fsprogs

nested_fetch_linux virtio-linux

# The guest: busybox, the init script and the virtio modules of the same kernel.
modules=
for module in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net \
        virtio_console virtio-rng; do
    nested_module "$module" "$work/$module.ko" ||
        { echo "virtio-linux: $module is not in $LINUX_MODULES"; exit 1; }
    modules="$modules $work/$module.ko=modules/$module.ko"
done
# shellcheck disable=SC2086
"$x86_scripts/make-initramfs" "$work/guest.gz" "$BUSYBOX" "$srcdir/virtio-linux-init.sh" \
    $modules || exit 1

# The disks: ext4 made here, one writable and empty, one read-only with a file on it.
mkdir -p "$work/ro-content"
echo "read-only content" > "$work/ro-content/readme"
mkfs.ext4 -q -F -L vmb-rw "$work/disk.img" 32M || exit 1
mkfs.ext4 -q -F -L vmb-ro -d "$work/ro-content" "$work/ro.img" 8M || exit 1

# What the outer VM needs besides vmboard: the TAP driver, and debugfs with its libraries.
nested_module tun "$work/tun.ko"
debugfs=$(command -v debugfs)
e2fsck=$(command -v e2fsck)
files="$work/guest.gz=guest.gz $work/disk.img=disk.img $work/ro.img=ro.img"
files="$files $work/tun.ko=tun.ko $debugfs=debugfs $e2fsck=e2fsck"
files="$files $(nested_libraries lib "$debugfs" "$e2fsck")"

marker=VMB-$(od -An -tx4 -N8 /dev/urandom | tr -d ' \n')
echo "$marker" > "$work/marker"
files="$files $work/marker=marker"
# shellcheck disable=SC2086
nested_boot "$build" 1200 "$srcdir/virtio-linux-outer.sh" $files
check "the outer VM ran the cases (nested-run status $nested_status)" [ "$nested_status" = 0 ]

section() {
    sed -n "/^VMB-CASE-BEGIN $1\$/,/^VMB-CASE-END $1\$/p" "$log.txt"
}
has() { # has CASE TEXT
    section "$1" | grep -qF -- "$2"
}
value() { # value CASE KEY: what follows KEY= on its line
    section "$1" | sed -n "s/.*$2=//p" | head -n 1
}

check "devices: the guest reached /init" has devices "VMB-GUEST-BOOTED"
fsck_ok() { # e2fsck: 0 clean, 1 fixed (a replayed journal counts); 4 and up: errors left
    status=$(value "$1" VMB-E2FSCK-STATUS)
    [ -n "$status" ] && [ "$status" -le 1 ]
}
modules_loaded() {
    ! section devices | grep -q INSMOD-FAILED
}
ro_unchanged() {
    before=$(value devices VMB-RO-CKSUM-BEFORE)
    [ -n "$before" ] && [ "$before" = "$(value devices VMB-RO-CKSUM-AFTER)" ]
}
check "devices: every virtio module loaded" modules_loaded
check "devices: ACPI lists 5 LNRO0005 devices" [ "$(value devices VMB-GUEST-ACPI-LNRO0005)" = 5 ]
check "devices: virtio sees net, 2 disks, console, rng" \
    [ "$(value devices VMB-GUEST-VIRTIO-IDS)" = "0x0001 0x0002 0x0002 0x0003 0x0004 " ]
check "devices: one disk is read-only" has devices "VMB-GUEST-DISKS=rw:vd"
check "devices: /dev/hwrng is virtio_rng" has devices "VMB-GUEST-HWRNG-CURRENT=virtio_rng"
check "devices: /dev/hwrng gives 64 bytes" [ "$(value devices VMB-GUEST-HWRNG-BYTES)" = 64 ]
check "devices: hvc0 carries a login shell's output" \
    has devices "VMB-HVC0: VMB-HVC0-LOGIN-SHELL uid=0 tty=/dev/hvc0"
check "devices: the guest pings the TAP's host side" has devices "VMB-GUEST-PING=ok"
check "devices: the read-only disk reads" has devices "VMB-GUEST-RO-READ=read-only content"
check "devices: writes to the read-only disk fail in the guest" \
    has devices "VMB-GUEST-RO-WRITE=refused: dd: error writing '/dev/vd"
check "devices: files cannot be created on the read-only disk" has devices "VMB-GUEST-RO-CREATE=refused"
check "devices: the read-only image is unchanged" ro_unchanged
check "devices: poweroff ends vmboard with status 0" has devices "VMB-CASE-STATUS=0"
check "devices: the image checks clean (e2fsck)" fsck_ok devices
check "devices: the file written before poweroff is in the image (debugfs)" \
    has devices "VMB-DEBUGFS poweroff.txt=$marker"
check "devices: no notification exited to vmboard (ioeventfd)" \
    has devices "(0 by a register write that exited to vmboard)"
# --stats: each device's register reads and writes that exited to vmboard. With the read
# shadow no register read exits, from probing to power-off.
no_register_read_exits() {
    section devices | grep -E '^VMB-STDERR: (disk0|disk1|net0|hvc0|rng0) \(' |
        awk '{ n++; if ($(NF-1) != 0) bad = 1 } END { exit !(n == 5 && !bad) }'
}
check "devices: no register read exited to vmboard (read shadow)" no_register_read_exits
fast_interrupts() { # -v at exit: how disk0's interrupts went
    section devices | grep -qE 'disk0: .* interrupts \(irqfd, InterruptACK by ioeventfd\); registers read from a shadow page'
}
check "devices: interrupts by irqfd, InterruptACK by ioeventfd" fast_interrupts
check "kill: the guest synced its file" has kill "VMB-GUEST-SYNCED"
check "kill: vmboard was killed (SIGKILL)" has kill "VMB-CASE-STATUS=137"
check "kill: the image checks clean after journal replay (e2fsck)" fsck_ok kill
check "kill: the synced file is in the image (debugfs)" has kill "VMB-DEBUGFS killed.txt=$marker"

check_summary

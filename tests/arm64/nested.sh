#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The arm64 suite from an x86_64 host (run by `make check`): cross-build vmboard for arm64,
# fetch Debian's arm64 kernel and busybox, pack an initramfs with everything
# tests/arm64/inside.sh needs (including the Linux guest vmboard boots), boot it under
# qemu-system-aarch64 with virtualization=on so the VM has a real arm64 KVM, and report what
# ran inside. Skips (77) only when the tools are missing and cannot be installed, and never
# when CI=true. docs/arm64.md describes the setup; the steps it shares with
# bench/arm64-exit.sh (tools, cross build, kernel, libraries, QEMU) are in
# scripts/arm64/nested-lib.sh.
#
# Environment: VMB_TEST_SRCDIR, VMB_TEST_BUILDDIR (from make check), VMBOARD_CACHE (where the
# kernel, busybox and the cross build live), VMB_ARM64_QEMU_TIMEOUT (seconds, default 900).
set -u -o pipefail

# shellcheck source=scripts/arm64/nested-lib.sh
. "$(dirname "$0")/../../scripts/arm64/nested-lib.sh" || exit 1

say() { echo "arm64: $*"; }

fail() {
    say "FAIL: $*"
    exit 1
}

unavailable() {
    if [ "${CI:-}" = true ]; then
        say "FAIL: $* (CI=true: the arm64 suite may not be skipped)"
        exit 1
    fi
    say "SKIP: $*"
    exit 77
}

arm64_setup "${VMB_TEST_SRCDIR:-$(dirname "$0")/..}/.." "${VMB_TEST_BUILDDIR:-.}/.." ||
    fail "no source or build directory"
srcdir=$arm64_srcdir
builddir=$arm64_builddir
qemu_timeout=${VMB_ARM64_QEMU_TIMEOUT:-900}

arm64_install_tools "$builddir/tests/arm64-install.log" ||
    unavailable "installing the arm64 tools failed (tests/arm64-install.log)"
[ -z "$arm64_missing" ] ||
    unavailable "missing $arm64_missing (run scripts/arm64/install-deps as root)"

# ---- cross build -------------------------------------------------------------------------
cross=$arm64_cross
say "cross-building vmboard for arm64 in $cross"
arm64_cross_build arm64-test-files || fail "$arm64_error"

# ---- kernel, busybox ---------------------------------------------------------------------
arm64_fetch || fail "$arm64_error"
kernel=$arm64_kernel
modules=$arm64_modules
busybox=$arm64_busybox
say "kernel $kernel"

# ---- the two initramfs images ------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/vmb-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The Linux guest of vmboard: says it is up, with how many CPUs, and powers off (PSCI). Booted
# with "vmb-virtio" on its command line (tests/arm64/linux-virtio.yaml), it first loads the
# kernel's virtio drivers and exercises the devices the device tree describes: it reads sector
# 0 of /dev/vda, writes a marker to sector 8 and syncs (inside.sh checks the image), reads
# /dev/hwrng and writes to /dev/hvc0.
mkdir -p "$work/inner/modules"
cat >"$work/inner/init" <<'INIT'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "VMB-INNER-UP cpus=$(/bin/busybox grep -c ^processor /proc/cpuinfo)"
if /bin/busybox grep -qw vmb-virtio /proc/cmdline; then
    /bin/busybox --install -s /bin
    export PATH=/bin
    mount -t sysfs sys /sys
    mount -t devtmpfs dev /dev
    for module in virtio_mmio virtio_blk virtio_console virtio-rng; do
        insmod /modules/$module.ko || echo "VMB-VIRTIO-INSMOD-FAILED $module"
    done
    for i in $(seq 50); do
        [ -b /dev/vda ] && [ -c /dev/hvc0 ] && [ -c /dev/hwrng ] && break
        sleep 0.1
    done
    nodes=""
    for node in /proc/device-tree/*@*; do
        [ "$(tr -d '\000' <"$node/compatible" 2>/dev/null)" = "virtio,mmio" ] &&
            nodes="$nodes ${node##*/}"
    done
    echo "VMB-VIRTIO-DT-NODES=$nodes"
    echo "VMB-VIRTIO-IDS=$(cat /sys/bus/virtio/devices/*/device | tr '\n' ' ')"
    echo "VMB-VIRTIO-VDA-SECTOR0=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 24)"
    echo "VMB-VIRTIO-VDA-SIZE=$(cat /sys/block/vda/size)"
    printf 'VMB-GUEST-WROTE-SECTOR-8' | dd of=/dev/vda bs=512 seek=8 conv=sync 2>/dev/null &&
        sync && echo "VMB-VIRTIO-VDA-WRITE=ok"
    echo "VMB-VIRTIO-HWRNG-CURRENT=$(cat /sys/class/misc/hw_random/rng_current)"
    echo "VMB-VIRTIO-HWRNG-BYTES=$(dd if=/dev/hwrng bs=32 count=2 2>/dev/null | wc -c)"
    echo "VMB-HVC0-OUTPUT from the guest" >/dev/hvc0 && echo "VMB-VIRTIO-HVC0-WRITE=ok"
    echo "VMB-VIRTIO-IRQS $(grep virtio /proc/interrupts | tr -s ' ' | tr '\n' ';')"
fi
/bin/busybox poweroff -f
INIT
chmod +x "$work/inner/init"
mkdir -p "$work/outer/vmb/linux" "$work/outer/vmb/plugins" "$work/outer/vmb/guests"
for module in drivers/virtio/virtio_mmio drivers/block/virtio_blk drivers/char/virtio_console \
        drivers/char/hw_random/virtio-rng; do
    cp "$modules/kernel/$module.ko" "$work/inner/modules/" ||
        { say "FAIL: $module.ko is not in $modules"; exit 1; }
done
"$srcdir/scripts/arm64/make-initramfs" "$work/inner" "$busybox" "$work/outer/vmb/linux/initrd.img"

# The outer VM: vmboard, its plugins and tests, the libraries they need, the Linux guest.
stage=$work/outer/vmb
cp "$cross/vmboard" "$cross/tests/test-arm64-regs" "$stage/"
cp "$cross"/plugins/*.so "$stage/plugins/"
cp "$cross"/tests/guests/arm64/*.bin "$stage/guests/"
cp "$srcdir/tests/arm64/guest.yaml" "$srcdir/tests/arm64/linux-16550.yaml" \
    "$srcdir/tests/arm64/linux-virtio.yaml" \
    "$srcdir/boards/arm64-virt.yaml" "$stage/"
cp "$srcdir/tests/arm64/inside.sh" "$stage/"
cp "$kernel" "$stage/linux/Image" || { say "FAIL: staging the files for the VM"; exit 1; }

arm64_add_libraries "$work/outer" "$stage/vmboard" "$stage/test-arm64-regs" \
    "$stage"/plugins/*.so || fail "$arm64_error"

cat >"$work/outer/init" <<'INIT'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo "VMB-OUTER-UP $(uname -m) $(dmesg | grep -o 'kvm \[1\]: [^\r]*initialized[^\r]*' | head -n 1)"
sh /vmb/inside.sh /vmb
echo "VMB-OUTER-DONE status=$?"
poweroff -f
INIT
chmod +x "$work/outer/init"
"$srcdir/scripts/arm64/make-initramfs" "$work/outer" "$busybox" "$work/outer.img"

# ---- boot it -----------------------------------------------------------------------------
log=$builddir/tests/arm64-nested.log
say "booting the arm64 VM (log: $log)"
start=$(date +%s)
arm64_boot "$work/outer.img" "$log" "$qemu_timeout"
qemu_status=$?
say "the VM ran $(($(date +%s) - start))s, qemu status $qemu_status"

# Show what ran inside, then judge it.
sed -n '/^VMB-/p; /^    /p' "$log"
if [ $qemu_status -eq 124 ] || [ $qemu_status -eq 137 ]; then
    tail -n 30 "$log"
    say "FAIL: the arm64 VM did not finish within ${qemu_timeout}s"
    exit 1
fi
grep -q '^VMB-OUTER-UP' "$log" || { tail -n 30 "$log"; fail "the arm64 VM never reached /init"; }
summary=$(sed -n 's/^VMB-SUMMARY //p' "$log")
[ -n "$summary" ] || { tail -n 30 "$log"; say "FAIL: the suite inside did not finish"; exit 1; }
echo "arm64: $summary"
grep -q '^VMB-OUTER-DONE status=0' "$log"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The arm64 suite from an x86_64 host (run by `make check`): cross-build vmboard for arm64,
# fetch Debian's arm64 kernel and busybox, pack an initramfs with everything
# tests/arm64/inside.sh needs (including the Linux guest vmboard boots), boot it under
# qemu-system-aarch64 with virtualization=on so the VM has a real arm64 KVM, and report what
# ran inside. Skips (77) only when the tools are missing and cannot be installed, and never
# when CI=true. docs/arm64.md describes the setup.
#
# Environment: VMB_TEST_SRCDIR, VMB_TEST_BUILDDIR (from make check), VMBOARD_CACHE (where the
# kernel, busybox and the cross build live), VMB_ARM64_QEMU_TIMEOUT (seconds, default 900).
set -u -o pipefail

srcdir=$(cd "${VMB_TEST_SRCDIR:-$(dirname "$0")/..}/.." && pwd)
builddir=$(cd "${VMB_TEST_BUILDDIR:-.}/.." && pwd)
cache=${VMBOARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmboard}
export VMBOARD_CACHE=$cache
qemu_timeout=${VMB_ARM64_QEMU_TIMEOUT:-900}
cross_host=aarch64-linux-gnu
arm64_libdir=/usr/lib/aarch64-linux-gnu

say() { echo "arm64: $*"; }

unavailable() {
    if [ "${CI:-}" = true ]; then
        say "FAIL: $* (CI=true: the arm64 suite may not be skipped)"
        exit 1
    fi
    say "SKIP: $*"
    exit 77
}

missing_tools() {
    local missing=()
    command -v $cross_host-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
    command -v qemu-system-aarch64 >/dev/null || missing+=(qemu-system-arm)
    command -v cpio >/dev/null || missing+=(cpio)
    for pc in glib-2.0 yaml-0.1 check; do
        [ -f $arm64_libdir/pkgconfig/$pc.pc ] || missing+=("$pc:arm64")
    done
    [ -f $arm64_libdir/libfdt.so ] || missing+=(libfdt-dev:arm64)
    apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1 || missing+=("arm64 apt lists")
    echo "${missing[@]}"
}

missing=$(missing_tools)
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing $missing with scripts/arm64/install-deps"
        "$srcdir/scripts/arm64/install-deps" >"$builddir/tests/arm64-install.log" 2>&1 ||
            unavailable "installing the arm64 tools failed (tests/arm64-install.log)"
        missing=$(missing_tools)
    fi
    [ -z "$missing" ] || unavailable "missing $missing (run scripts/arm64/install-deps as root)"
fi

# ---- cross build -------------------------------------------------------------------------
# Kept in the cache, one tree per build directory, so `make distcheck` leaves nothing behind
# and a second run only rebuilds what changed.
cross=$cache/arm64/cross-$(printf '%s' "$builddir" | md5sum | cut -c1-12)
mkdir -p "$cross"
say "cross-building vmboard for arm64 in $cross"
cross_srcdir=$srcdir
if [ -f "$srcdir/config.status" ]; then
    # configure refuses a second build of a source tree that was configured in place (as the
    # README does), so build from a mirror of its sources: tracked and untracked-but-not-
    # ignored files plus what autoreconf generated. tar keeps mtimes: make rebuilds only what
    # changed.
    cross_srcdir=$cross/src
    mkdir -p "$cross_srcdir"
    (cd "$srcdir" &&
        { git ls-files -co --exclude-standard 2>/dev/null ||
              find . -type f ! -name '*.o' ! -name '*.a' ! -name '*.so' ! -name '*.log' \
                  ! -name config.status ! -name Makefile ! -name config.h ! -path './tests/*.trs'; \
          printf '%s\n' configure Makefile.in aclocal.m4 config.h.in; \
          find build-aux m4 -type f; } | sort -u | tar -cf - -T -) |
        (cd "$cross_srcdir" && tar -xf -) ||
        { say "FAIL: copying the sources for the cross build"; exit 1; }
fi
if [ ! -f "$cross/Makefile" ] || [ "$cross_srcdir/configure" -nt "$cross/config.status" ]; then
    (cd "$cross" &&
        PKG_CONFIG_LIBDIR=$arm64_libdir/pkgconfig:/usr/share/pkgconfig \
            "$cross_srcdir/configure" --host=$cross_host --enable-werror -q) >"$cross/configure.log" 2>&1 ||
        { cat "$cross/configure.log"; say "FAIL: configure --host=$cross_host failed"; exit 1; }
fi
if ! make -C "$cross" -j2 arm64-test-files >"$cross/make.log" 2>&1; then
    tail -n 40 "$cross/make.log"
    say "FAIL: the arm64 cross build failed ($cross/make.log)"
    exit 1
fi

# ---- kernel, busybox ---------------------------------------------------------------------
fetched=$("$srcdir/scripts/arm64/fetch-kernel") || { say "FAIL: fetching the arm64 kernel"; exit 1; }
kernel=$(printf '%s\n' "$fetched" | sed -n 's/^KERNEL=//p')
busybox=$(printf '%s\n' "$fetched" | sed -n 's/^BUSYBOX=//p')
modules=$(printf '%s\n' "$fetched" | sed -n 's/^MODULES=//p')
if [ ! -f "$kernel" ] || [ ! -x "$busybox" ] || [ ! -d "$modules" ]; then
    say "FAIL: scripts/arm64/fetch-kernel gave no kernel, modules or busybox: $fetched"
    exit 1
fi
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

# Shared libraries, found by following DT_NEEDED from the binaries.
mkdir -p "$work/outer/lib/$cross_host"
cp -L $arm64_libdir/ld-linux-aarch64.so.1 "$work/outer/lib/" 2>/dev/null ||
    cp -L /usr/$cross_host/lib/ld-linux-aarch64.so.1 "$work/outer/lib/"
pending=("$stage/vmboard" "$stage/test-arm64-regs" "$stage"/plugins/*.so)
declare -A copied=()
while [ ${#pending[@]} -gt 0 ]; do
    file=${pending[0]}
    pending=("${pending[@]:1}")
    for lib in $($cross_host-readelf -d "$file" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        [ -n "${copied[$lib]:-}" ] && continue
        copied[$lib]=1
        found=""
        for dir in $arm64_libdir /lib/$cross_host /usr/$cross_host/lib; do
            if [ -e "$dir/$lib" ]; then found=$dir/$lib; break; fi
        done
        [ -n "$found" ] || { say "FAIL: no arm64 $lib for $file"; exit 1; }
        cp -L "$found" "$work/outer/lib/$cross_host/$lib"
        pending+=("$work/outer/lib/$cross_host/$lib")
    done
done

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
timeout --kill-after=10 "$qemu_timeout" qemu-system-aarch64 \
    -machine virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on -smp 2 -m 1024 \
    -nographic -no-reboot -kernel "$kernel" -initrd "$work/outer.img" \
    -append "console=ttyAMA0 panic=-1 loglevel=4" </dev/null >"$log" 2>&1
qemu_status=$?
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
say "the VM ran $(($(date +%s) - start))s, qemu status $qemu_status"

# Show what ran inside, then judge it.
sed -n '/^VMB-/p; /^    /p' "$log"
if [ $qemu_status -eq 124 ] || [ $qemu_status -eq 137 ]; then
    tail -n 30 "$log"
    say "FAIL: the arm64 VM did not finish within ${qemu_timeout}s"
    exit 1
fi
grep -q '^VMB-OUTER-UP' "$log" || { tail -n 30 "$log"; say "FAIL: the arm64 VM never reached /init"; exit 1; }
summary=$(sed -n 's/^VMB-SUMMARY //p' "$log")
[ -n "$summary" ] || { tail -n 30 "$log"; say "FAIL: the suite inside did not finish"; exit 1; }
echo "arm64: $summary"
grep -q '^VMB-OUTER-DONE status=0' "$log"

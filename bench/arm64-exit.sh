#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The exit-cost benchmark (bench/bench-exit) on arm64, from an x86_64 host: cross-builds it
# with vmboard, its plugins and its guest (target arm64-test-files, in the arm64 suite's cross
# tree), boots the nested arm64 VM of tests/arm64/nested.sh (the steps both share are in
# scripts/arm64/nested-lib.sh) and runs it there, then prints its figures. The VM is QEMU TCG with KVM inside it: compare the columns with each other,
# not with figures from real arm64 hardware. Figures only: it never judges a time, and when
# the tools are missing it says so and succeeds (`make bench` runs it as an extra).
#
#   bench/arm64-exit.sh [BUILD_DIR]     (default: the current directory)
#
# Environment: VMB_BENCH_ARM64=no skips it; VMB_BENCH_ARM64_N writes per kind (default 20000);
# VMB_ARM64_QEMU_TIMEOUT seconds for the VM (default 900); VMBOARD_CACHE as for the suite.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/arm64/nested-lib.sh
. "$here/../scripts/arm64/nested-lib.sh" || exit 1

say() { echo "arm64 bench-exit: $*"; }

if [ "${VMB_BENCH_ARM64:-}" = no ]; then
    say "skipped (VMB_BENCH_ARM64=no)"
    exit 0
fi
count=${VMB_BENCH_ARM64_N:-20000}
case $count in
'' | *[!0-9]*) say "VMB_BENCH_ARM64_N must be a number, not '$count'"; exit 1 ;;
esac

arm64_setup "$here/.." "${1:-.}" || exit 1
# A failed installation shows as what is still missing.
arm64_install_tools /dev/null || true
if [ -n "$arm64_missing" ]; then
    say "not run: missing $arm64_missing (scripts/arm64/install-deps installs them as root)"
    exit 0
fi

say "cross-building in $arm64_cross"
arm64_cross_build arm64-test-files || { say "$arm64_error"; exit 1; }
arm64_fetch || { say "$arm64_error"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vmb-arm64-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/root/vmb
mkdir -p "$stage/plugins"
if ! cp "$arm64_cross/vmboard" "$arm64_cross/bench/bench-exit" \
        "$arm64_cross/tests/guests/arm64/bench-exit.bin" "$stage/" ||
    ! cp "$arm64_cross"/plugins/*.so "$stage/plugins/"; then
    say "staging the files failed"
    exit 1
fi
arm64_add_libraries "$work/root" "$stage/vmboard" "$stage/bench-exit" "$stage"/plugins/*.so ||
    { say "$arm64_error"; exit 1; }

# bench-exit runs from /vmb like `make bench` runs it from a build directory. Its output is
# bracketed so the figures can be told from the kernel's console messages.
cat >"$work/root/init" <<INIT
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
echo "VMB-OUTER-UP \$(uname -m)" \
    "\$(dmesg | grep -o 'kvm \[1\]: [^\r]*initialized[^\r]*' | head -n 1)"
cd /vmb
echo VMB-BENCH-BEGIN
VMBOARD=/vmb/vmboard VMBOARD_PLUGIN_PATH=/vmb/plugins VMB_BENCH_GUEST=/vmb/bench-exit.bin \
    TMPDIR=/tmp ./bench-exit $count 2>&1
echo "VMB-BENCH-END status=\$?"
poweroff -f
INIT
chmod +x "$work/root/init"
"$arm64_srcdir/scripts/arm64/make-initramfs" "$work/root" "$arm64_busybox" "$work/root.img" ||
    { say "packing the initramfs failed"; exit 1; }

log=$arm64_builddir/bench/arm64-exit.log
mkdir -p "$(dirname "$log")"
say "booting the arm64 VM, $count writes per kind (console: $log)"
start=$(date +%s)
arm64_boot "$work/root.img" "$log" "${VMB_ARM64_QEMU_TIMEOUT:-900}"
qemu_status=$?
say "the VM ran $(($(date +%s) - start))s, qemu status $qemu_status"

figures=$(sed -n '/^VMB-BENCH-BEGIN$/,/^VMB-BENCH-END/p' "$log" | sed '1d; $d')
ended=$(sed -n 's/^VMB-BENCH-END status=//p' "$log")
if [ -z "$ended" ]; then
    tail -n 30 "$log"
    say "the benchmark did not finish inside the VM"
    exit 1
fi
echo "arm64 (nested: KVM inside a QEMU TCG VM on this x86_64 host;" \
    "$(sed -n 's/^VMB-OUTER-UP //p' "$log"))"
printf '%s\n' "$figures"
[ "$ended" = 0 ] || { say "bench-exit failed inside the VM (status $ended)"; exit 1; }

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The test programs that need /dev/kvm, on a host that has none: they run unchanged inside the
# outer VM of scripts/x86/nested-run, whose kernel has a real KVM (kvm-amd on QEMU's emulated
# SVM). On a host with a usable /dev/kvm they ran directly, and this skips (77).
#
# The build tree (objects left out) and the source tree go into the outer VM at the same
# absolute paths, with the shared libraries the programs load, so each program finds its
# guests, boards and plugins where make check told it to. Each program's output is printed
# when it fails (or with VMB_TEST_VERBOSE set).
#
# Environment: what make check sets (VMBOARD, VMBOARD_PLUGIN_PATH, VMB_TEST_SRCDIR,
# VMB_TEST_BUILDDIR); VMB_KVM_TESTS, the programs (default below). Without QEMU this skips,
# or fails when CI is "true": then the KVM tests would run nowhere.
set -u

srcdir=${VMB_TEST_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
x86_scripts=$(cd "$srcdir/../scripts/x86" && pwd)
. "$x86_scripts/nested-lib.sh"

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    echo "kvm-nested: this host has /dev/kvm: the KVM tests ran directly"
    exit 77
fi

nested_test_setup kvm-nested
: "${VMB_TEST_BUILDDIR:?run this through make check}"
builddir=$(cd "$VMB_TEST_BUILDDIR/.." && pwd)
top_srcdir=$(cd "$srcdir/.." && pwd)
programs=${VMB_KVM_TESTS:-test-memory test-guests test-virtio-kvm}

nested_install kvm-nested qemu-system-x86_64:qemu-system-x86 cpio:cpio apt-get:apt
nested_require kvm-nested qemu-system-x86_64:qemu-system-x86

echo "kvm-nested: no usable /dev/kvm here: running $programs inside the nested x86 VM"
binaries=
for program in $programs; do
    [ -x "$builddir/tests/$program" ] || { echo "kvm-nested: $program is not built"; exit 99; }
    binaries="$binaries $builddir/tests/$program"
done
# Paths without the leading slash, for tar -C /. -h stores the libraries' targets.
# shellcheck disable=SC2086
libraries=$(nested_host_libraries $binaries | sed 's|^/||')
# shellcheck disable=SC2086
tar -C / -chf "$work/trees.tar" --exclude='*.o' --exclude=.deps --exclude=.git \
    --exclude='*.log' --exclude='*.trs' --exclude=autom4te.cache \
    "${builddir#/}" "${top_srcdir#/}" $libraries || exit 99

cat > "$work/run" <<EOF
#!/bin/sh
# Inside the outer VM: the trees at their host paths, then each program in turn.
tar -C / -xf /payload/trees.tar || exit 1
export VMBOARD='$builddir/vmboard' VMBOARD_PLUGIN_PATH='$builddir/plugins'
export VMB_TEST_SRCDIR='$top_srcdir/tests' VMB_TEST_BUILDDIR='$builddir/tests'
export CK_DEFAULT_TIMEOUT=120 CK_TIMEOUT_MULTIPLIER=5
cd '$builddir'
for program in $programs; do
    echo "VMB-KVM-BEGIN \$program"
    time-limit 1500 "tests/\$program" </dev/null 2>&1
    echo "VMB-KVM-END \$program status=\$?"
done
EOF

nested_boot "$builddir" 3000 "$work/run" "$work/trees.tar=trees.tar"
check "the outer VM ran the programs (nested-run status $nested_status)" [ "$nested_status" = 0 ]

for program in $programs; do
    status=$(sed -n "s/^VMB-KVM-END $program status=\([0-9]*\).*/\1/p" "$log.txt")
    check "$program inside the nested VM (status ${status:-missing})" [ "$status" = 0 ]
    if [ "${status:-}" != 0 ] || [ -n "${VMB_TEST_VERBOSE:-}" ]; then
        sed -n "/^VMB-KVM-BEGIN $program\$/,/^VMB-KVM-END $program /p" "$log.txt"
    fi
done
# Check's own summary line of each program, as it printed it.
grep -E '^[0-9]+%: Checks: ' "$log.txt" | sed 's/^/kvm-nested: /'
if [ "$failed" != 0 ] && [ "$nested_status" != 0 ]; then
    echo "---- outer VM console ----"
    cat "$log.txt"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

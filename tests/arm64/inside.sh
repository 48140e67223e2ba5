#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The arm64 suite proper. Runs on an arm64 Linux with /dev/kvm: inside the VM that
# tests/arm64/nested.sh boots, or by hand on a real arm64 host (docs/arm64.md):
#   tests/arm64/inside.sh DIR
# DIR holds vmboard, plugins/, guests/ (tests/guests/arm64/*.bin), guest.yaml,
# arm64-virt.yaml, linux-16550.yaml, linux-virtio.yaml, test-arm64-regs and linux/Image +
# linux/initrd.img (an initramfs whose /init prints "VMB-INNER-UP cpus=N" and powers off; with
# "vmb-virtio" on its command line it first loads the virtio modules in /modules and uses the
# devices, see tests/arm64/nested.sh). Prints one "VMB-RESULT PASS|FAIL name"
# line per test, then "VMB-SUMMARY N passed, N failed"; exits 0 when all passed.
set -u

dir=${1:-.}
cd "$dir" || exit 1
export VMBOARD_PLUGIN_PATH="$PWD/plugins"
passed=0
failed=0
out=${TMPDIR:-/tmp}/vmb-arm64-test.out

pass() {
    echo "VMB-RESULT PASS $1"
    passed=$((passed + 1))
}

fail() {
    echo "VMB-RESULT FAIL $1: $2"
    head -n 15 "$out" | sed -e 's/^/    | /'
    echo "    | ..."
    tail -n 25 "$out" | sed -e 's/^/    | /'
    failed=$((failed + 1))
}

# check NAME EXPECTED_STATUS SECONDS "TEXT|TEXT..." -- COMMAND...: run COMMAND with a time
# limit; pass when it exits with EXPECTED_STATUS and its output has every TEXT.
check() {
    name=$1 expected=$2 seconds=$3 texts=$4
    shift 5
    start=$(date +%s)
    timeout "$seconds" "$@" </dev/null >"$out" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    if [ "$status" -ne "$expected" ]; then
        fail "$name" "exit status $status, expected $expected (${elapsed}s)"
        return
    fi
    old_ifs=$IFS
    IFS='|'
    for text in $texts; do
        if ! grep -qF -- "$text" "$out"; then
            IFS=$old_ifs
            fail "$name" "output lacks \"$text\""
            return
        fi
    done
    IFS=$old_ifs
    echo "    ($name: ${elapsed}s)"
    pass "$name"
}

if [ -c /dev/kvm ]; then
    pass kvm-device
else
    echo "VMB-RESULT FAIL kvm-device: /dev/kvm is missing"
    failed=$((failed + 1))
fi

check regs 0 60 "Checks: 3, Failures: 0, Errors: 0" -- ./test-arm64-regs

run="./vmboard run guest.yaml"
check hello 0 60 "Hello from arm64 over the PL011|device tree in x0 at 0x" -- \
    $run --kernel guests/hello.bin
check unclaimed-mmio 0 60 "unclaimed read32=0x00000000ffffffff|unclaimed: all-ones, still running" \
    -- $run --kernel guests/unclaimed.bin
check psci-cpu-on 0 60 "vCPU 1 ran with its context id and MPIDR 1|second CPU_ON: ALREADY_ON" \
    -- $run --kernel guests/smp.bin --cpus 2
check psci-system-reset 0 60 "asking for a reset" -- $run --kernel guests/reset.bin
check debug-exit-status 67 60 "exiting through debug-exit" -- $run --kernel guests/exit.bin
check gic-v2-refused 1 60 "cannot create an in-kernel GIC" -- \
    $run --kernel guests/hello.bin --set gic.version=2
check undecodable-mmio 1 60 "no valid syndrome|x19     =000000001234abcd|pc      =" -- \
    $run --kernel guests/nisv.bin
check board-check 0 30 "" -- ./vmboard check arm64-virt.yaml

linux="./vmboard run arm64-virt.yaml --kernel linux/Image --initrd linux/initrd.img --memory 256M"
# The kernel's first lines arrive through earlycon (stdout-path), the marker through the
# PL011 driver with interrupts, and "Power down" precedes PSCI SYSTEM_OFF.
check linux-1-vcpu 0 300 "Machine model: arm64-virt|VMB-INNER-UP cpus=1|reboot: Power down" -- \
    $linux --cpus 1
check linux-2-vcpus 0 300 "smp: Brought up 1 node, 2 CPUs|VMB-INNER-UP cpus=2|reboot: Power down" \
    -- $linux --cpus 2

# uart-16550 on MMIO as the console: an ns16550a node with reg-shift in the device tree.
check linux-16550 0 300 "VMB-INNER-UP cpus=1|reboot: Power down" -- \
    ./vmboard run linux-16550.yaml --kernel linux/Image --initrd linux/initrd.img

# virtio-mmio devices found through the device tree ("virtio,mmio" nodes with reg and
# interrupts): the guest reads the disk's sector 0 as written here, writes sector 8 and syncs,
# reads /dev/hwrng and writes to /dev/hvc0 (into a file here). Notifications go through
# ioeventfds and interrupts through irqfds: `-v` prints the figures at exit.
disk=virtio-disk.img
rm -f "$disk" virtio-hvc0.out
dd if=/dev/zero of="$disk" bs=1024 count=1024 2>/dev/null
printf 'VMB-HOST-SECTOR-0-MARKER' | dd of="$disk" conv=notrunc 2>/dev/null
check linux-virtio 0 300 "VMB-INNER-UP cpus=1|VMB-VIRTIO-DT-NODES= disk0@a000000 hvc0@a002000 rng0@a001000|VMB-VIRTIO-VDA-SECTOR0=VMB-HOST-SECTOR-0-MARKER|VMB-VIRTIO-VDA-SIZE=2048|VMB-VIRTIO-VDA-WRITE=ok|VMB-VIRTIO-HWRNG-CURRENT=virtio_rng|VMB-VIRTIO-HWRNG-BYTES=64|VMB-VIRTIO-HVC0-WRITE=ok|reboot: Power down" \
    -- ./vmboard run -v --stats linux-virtio.yaml --kernel linux/Image --initrd linux/initrd.img
cp "$out" virtio-run.out
out_is() { # NAME CONDITION...: a check on the run above, its output shown on failure
    name=$1
    shift
    if "$@"; then pass "$name"; else cp virtio-run.out "$out"; fail "$name" "$*"; fi
}
lacks() { ! grep -q "$@"; }
ids=$(sed -n 's/.*VMB-VIRTIO-IDS=//p' virtio-run.out | tr -d '\r' | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
out_is linux-virtio-ids [ "$ids" = "0x0002 0x0003 0x0004 " ]
out_is linux-virtio-no-insmod-failure lacks VMB-VIRTIO-INSMOD-FAILED virtio-run.out
sector8=$(dd if="$disk" bs=512 skip=8 count=1 2>/dev/null | head -c 24)
out_is linux-virtio-blk-write-in-image [ "$sector8" = VMB-GUEST-WROTE-SECTOR-8 ]
out_is linux-virtio-blk-image-size [ "$(wc -c <"$disk")" -eq 1048576 ]
out_is linux-virtio-hvc0-output grep -q "VMB-HVC0-OUTPUT from the guest" virtio-hvc0.out
# Every device: no notification exited to vmboard (ioeventfd); the disk's and the entropy
# device's completions arrived as interrupts.
for device in disk0 rng0 hvc0; do
    out_is "linux-virtio-$device-ioeventfd" \
        grep -q "$device: .*(0 by a register write that exited to vmboard)" virtio-run.out
done
# The irqfds KVM refuses until the vGIC is initialised are registered once it is: the
# interrupts go through them, InterruptACK through ioeventfds, and the registers are read
# from the read shadow, so in --stats no register read of any device exited.
for device in disk0 rng0; do
    out_is "linux-virtio-$device-interrupts" \
        grep -q "$device: .* [1-9][0-9]* interrupts (irqfd, InterruptACK by ioeventfd); registers read from a shadow page" virtio-run.out
done
no_register_read_exits() {
    grep -E '^(disk0|rng0|hvc0) \(' virtio-run.out |
        awk '{ n++; if ($(NF-1) != 0) bad = 1 } END { exit !(n == 3 && !bad) }'
}
out_is linux-virtio-no-register-read-exits no_register_read_exits
out_is linux-virtio-no-device-reset lacks DEVICE_NEEDS_RESET virtio-run.out

echo "VMB-SUMMARY $passed passed, $failed failed"
[ "$failed" -eq 0 ]

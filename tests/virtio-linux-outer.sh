#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the outer VM of tests/virtio-linux.sh (scripts/x86/nested-run): boots the inner
# guest once per case, each in a network namespace of its own where the TAP the virtio-net
# device opens gets the host side's address, and checks the disk image with debugfs once
# vmboard is gone. Everything the host parses is bracketed with VMB-CASE-* markers.
marker=$(cat /payload/marker)
insmod /payload/tun.ko 2>/dev/null

cat > virtio.yaml <<'BOARD'
name: linux-virtio-test
arch: x86_64
cpus: 1
memory: 256M
cpu: {features: {xsave: off}}
boot:
  format: auto
devices:
  - {type: uart-16550, id: uart0, pio: 0x3f8, irq: 4, console: stdio}
  - {type: rtc-cmos, id: rtc, pio: 0x70, irq: 8}
  - {type: i8042, id: i8042, pio: 0x60}
  - {type: acpi-power, id: power, pio: 0x600}
  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 16, image: disk.img}
  - {type: virtio-blk, id: disk1, mmio: 0xd0001000, irq: 17, image: ro.img, readonly: true}
  - {type: virtio-net, id: net0, mmio: 0xd0002000, irq: 18, tap: vmbt0}
  - {type: virtio-console, id: hvc0, mmio: 0xd0003000, irq: 19, console: 'file:hvc0.out'}
  - {type: virtio-rng, id: rng0, mmio: 0xd0004000, irq: 20}
BOARD

# run_case NAME CASE KILL_AT: vmboard in its own network namespace; with KILL_AT, SIGKILL as
# soon as the console shows that line. A run that hangs is ended after 300 s by time-limit,
# which first writes where vmboard's threads are to the console log.
run_case() {
    name=$1 guest_case=$2 kill_at=$3
    echo "VMB-CASE-BEGIN $name"
    rm -f console.log hvc0.out
    echo "VMB-RO-CKSUM-BEFORE=$(md5sum < ro.img)"
    unshare -n sh -s "$guest_case" "$kill_at" "$marker" <<'CASE'
guest_case=$1 kill_at=$2 marker=$3
ip link set lo up
time-limit 300 vmboard run -v --stats virtio.yaml --kernel vmlinuz --initrd guest.gz \
    --append "console=ttyS0 panic=-1 quiet vmb.case=$guest_case vmb.marker=$marker" \
    </dev/null >console.log 2>vmboard.err &
pid=$!
for i in $(seq 100); do
    ip link show vmbt0 >/dev/null 2>&1 && break
    sleep 0.1
done
ip addr add 10.0.2.1/24 dev vmbt0
ip link set vmbt0 up
while [ -n "$kill_at" ] && kill -0 $pid 2>/dev/null; do
    if grep -q "$kill_at" console.log; then
        kill -9 "$(pidof vmboard)"
        break
    fi
    sleep 0.1
done
wait $pid
status=$?
[ $status = 124 ] && echo "VMB-CASE-TIMEOUT"
echo "VMB-CASE-STATUS=$status"
CASE
    cat console.log
    echo "VMB-RO-CKSUM-AFTER=$(md5sum < ro.img)"
    sed 's/^/VMB-STDERR: /' vmboard.err
    [ -f hvc0.out ] && sed 's/^/VMB-HVC0: /' hvc0.out
    # As a mount would: replay the journal first (what `sync` committed may be only there).
    LD_LIBRARY_PATH=/payload/lib /payload/e2fsck -fy disk.img >e2fsck.out 2>&1
    echo "VMB-E2FSCK-STATUS=$?"
    sed 's/^/VMB-E2FSCK: /' e2fsck.out
    for file in poweroff.txt killed.txt; do
        echo "VMB-DEBUGFS $file=$(LD_LIBRARY_PATH=/payload/lib /payload/debugfs -R "cat /$file" disk.img 2>/dev/null)"
    done
    echo "VMB-CASE-END $name"
}
run_case devices devices ""
run_case kill kill VMB-GUEST-SYNCED
exit 0

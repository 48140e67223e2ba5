#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside the outer VM of bench/virtio-linux.sh (scripts/x86/nested-run): the same guest
# (kernel, initramfs, a fresh 256 MiB raw image, a TAP in a network namespace with iperf3 on
# the host side) under vmboard and, when its binary came along, under QEMU's microvm machine
# with the same virtio-mmio devices. Both use the host's page cache for the image (vmboard's
# default; QEMU cache=writeback), as the outer VM's tmpfs has no O_DIRECT. Output is bracketed
# with VMB-VMM-* markers. Each VMM gets 15 minutes (time-limit, which nested-run puts on the
# PATH); a whole run takes about one here, but a guest under the nested KVM can wedge.
insmod /payload/tun.ko 2>/dev/null
cat > bench.yaml <<'BOARD'
name: virtio-bench
arch: x86_64
cpus: 1
memory: 512M
cpu: {features: {xsave: off}}
boot:
  format: auto
devices:
  - {type: uart-16550, id: uart0, pio: 0x3f8, irq: 4, console: stdio}
  - {type: rtc-cmos, id: rtc, pio: 0x70, irq: 8}
  - {type: acpi-power, id: power, pio: 0x600}
  - {type: virtio-blk, id: disk0, mmio: 0xd0000000, irq: 16, image: disk.img}
  - {type: virtio-net, id: net0, mmio: 0xd0001000, irq: 17, tap: vmbt0}
  - {type: virtio-rng, id: rng0, mmio: 0xd0002000, irq: 18}
BOARD
append="console=ttyS0 panic=-1 quiet"

# run_vmm NAME COMMAND...: in a fresh network namespace, with the TAP configured and iperf3
# listening as soon as the VMM has created it.
run_vmm() {
    name=$1
    shift
    echo "VMB-VMM-BEGIN $name"
    rm -f disk.img
    dd if=/dev/zero of=disk.img bs=1M count=0 seek=256 2>/dev/null
    unshare -n sh -s "$@" <<'VMM'
ip link set lo up
time-limit 900 "$@" </dev/null >vmm.out 2>vmm.err &
pid=$!
for _ in $(seq 100); do
    ip link show vmbt0 >/dev/null 2>&1 && break
    sleep 0.1
done
ip addr add 10.0.2.1/24 dev vmbt0
ip link set vmbt0 up
LD_LIBRARY_PATH=/payload/lib /payload/iperf3 -s -D -B 10.0.2.1 >/dev/null 2>&1
wait $pid
echo "VMB-VMM-STATUS=$?"
VMM
    grep -a -e 'VMB-BENCH' -e '^time-limit:' vmm.out
    sed 's/^/VMB-STDERR: /' vmm.err
    echo "VMB-VMM-END $name"
}

run_vmm vmboard vmboard run -v --stats bench.yaml --kernel vmlinuz --initrd guest.gz \
    --append "$append"
if [ -x /payload/qemu/qemu-system-x86_64 ]; then
    run_vmm qemu env LD_LIBRARY_PATH=/payload/qemu /payload/qemu/qemu-system-x86_64 \
        -L /payload/qemu -M microvm,acpi=on,rtc=on -enable-kvm -cpu qemu64 -m 512 -smp 1 \
        -display none -no-reboot -nodefaults -serial stdio \
        -kernel vmlinuz -initrd guest.gz -append "$append" \
        -drive id=disk0,file=disk.img,format=raw,if=none,cache=writeback,aio=threads \
        -device virtio-blk-device,drive=disk0 \
        -netdev tap,id=net0,ifname=vmbt0,script=no,downscript=no,vhost=off \
        -device virtio-net-device,netdev=net0 -device virtio-rng-device
else
    echo "VMB-VMM-BEGIN qemu"
    echo "VMB-VMM-SKIPPED QEMU did not come along"
    echo "VMB-VMM-END qemu"
fi
exit 0

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the guest of bench/virtio-linux.sh: block throughput and IOPS on /dev/vda (fio, or
# dd when fio is absent) and network throughput to 10.0.2.1 (iperf3), printed as VMB-BENCH
# lines, then the disk's request counts and poweroff.
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
for module in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net \
        virtio-rng; do
    insmod "/modules/$module.ko" 2>/dev/null
done
for _ in $(seq 50); do
    [ -b /dev/vda ] && break
    sleep 0.2
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
echo "VMB-BENCH-BEGIN"

if command -v fio >/dev/null 2>&1; then
    run_fio() { # run_fio NAME FIO-ARGS...
        name=$1
        shift
        fio --name="$name" --filename=/dev/vda --direct=1 --ioengine=libaio "$@" 2>&1 |
            grep -E '^ *(read|write): IOPS=' | sed "s/^ */VMB-BENCH $name: /"
    }
    run_fio seq-write --rw=write --bs=1M --size=64M --iodepth=8
    run_fio seq-read --rw=read --bs=1M --size=64M --iodepth=8
    run_fio rand-read-4k --rw=randread --bs=4k --size=64M --iodepth=16 --runtime=10 --time_based
    run_fio rand-write-4k --rw=randwrite --bs=4k --size=64M --iodepth=16 --runtime=10 --time_based
else
    dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct 2>&1 | tail -n 1 |
        sed 's/^/VMB-BENCH seq-write (dd): /'
    dd if=/dev/vda of=/dev/null bs=1M count=64 iflag=direct 2>&1 | tail -n 1 |
        sed 's/^/VMB-BENCH seq-read (dd): /'
fi
if command -v iperf3 >/dev/null 2>&1; then
    iperf3 -c 10.0.2.1 -t 5 2>&1 | grep -E 'sender|receiver' | sed 's/^/VMB-BENCH net guest-to-host: /'
    iperf3 -c 10.0.2.1 -t 5 -R 2>&1 | grep -E 'sender|receiver' | sed 's/^/VMB-BENCH net host-to-guest: /'
else
    echo "VMB-BENCH net: iperf3 is not in the guest"
fi
echo "VMB-BENCH-DISKSTAT $(cat /sys/block/vda/stat)"
# The virtio interrupts as the guest counts them, and how many found nothing to do.
grep virtio /proc/interrupts | while read -r irq rest; do
    irq=${irq%:}
    echo "VMB-BENCH-IRQ $irq: $rest; $(tr '\n' ' ' </proc/irq/"$irq"/spurious)"
done
echo "VMB-BENCH-END"
poweroff -f

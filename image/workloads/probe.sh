#!/bin/sh
# What the guest kernel offers the service and what vmreclaimd made of it:
# the kernel, MGLRU, memory.reclaim and its swappiness= argument, the
# balloon's free page reporting, then `vmreclaimctl status`.  For checking
# an image on a new kernel:  vmreclaim run -w probe --image build/image/KVER/initrd.img
echo "probe: kernel $(uname -r)"
echo "probe: lru_gen $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
echo "probe: memory.reclaim $([ -e /sys/fs/cgroup/memory.reclaim ] && echo present || echo absent)"
if echo "0 swappiness=0" >/sys/fs/cgroup/memory.reclaim 2>/dev/null; then
	echo "probe: memory.reclaim takes swappiness=0"
else
	echo "probe: memory.reclaim refuses swappiness=0"
fi
echo "probe: page_reporting_order $(cat /sys/module/page_reporting/parameters/page_reporting_order 2>/dev/null || echo absent)"
echo "probe: balloon features $(cat /sys/bus/virtio/drivers/virtio_balloon/virtio*/features 2>/dev/null || echo '?')"
sleep 12
echo "probe: vmreclaimctl status:"
vmreclaimctl status 2>&1 | sed 's/^/probe:   /'
echo "vmreclaim-event: probe-done"

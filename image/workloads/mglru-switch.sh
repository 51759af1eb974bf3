#!/bin/sh
# multiGenLru = off by hand: what lru_gen reads while vmreclaimd runs,
# its status line, and what it reads after the daemon's exit (SIGTERM),
# which must put the value back; then a daemon killed with SIGKILL while
# MGLRU is off, and a start with multiGenLru = keep, which must put it
# back from /run/vmreclaimd.mglru.  vmreclaim run -w mglru-switch
#   --image build/image/KVER/initrd.img --set multiGenLru=off
sleep 8
echo "mglru-switch: lru_gen while running $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
echo "mglru-switch: state file $(cat /run/vmreclaimd.mglru 2>/dev/null || echo absent)"
vmreclaimctl status 2>&1 | grep '^lru:' | sed 's/^/mglru-switch: /'
kill -TERM "$(pidof vmreclaimd)"
sleep 3
echo "mglru-switch: daemon $(pidof vmreclaimd >/dev/null && echo still running || echo gone)"
echo "mglru-switch: lru_gen after exit $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
echo "mglru-switch: state file $(cat /run/vmreclaimd.mglru 2>/dev/null || echo absent)"
vmreclaimd &
sleep 5
kill -KILL "$(pidof vmreclaimd)"
sleep 1
echo "mglru-switch: lru_gen after SIGKILL $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
echo "mglru-switch: state file $(cat /run/vmreclaimd.mglru 2>/dev/null || echo absent)"
vmreclaimd --no-cmdline &
sleep 5
echo "mglru-switch: lru_gen after a start with keep $(cat /sys/kernel/mm/lru_gen/enabled 2>/dev/null || echo absent)"
echo "mglru-switch: state file $(cat /run/vmreclaimd.mglru 2>/dev/null || echo absent)"
echo "vmreclaim-event: mglru-switch-done"

# Shared by the black-box scripts (sourced from the top of the tree; not a
# test itself, so not in tests/blackbox/): the
# fake /proc + /sys tree of a 6.1 guest with free page reporting (the
# captures of tests/unit/fixtures/), for the real daemon's --root.
#   fake_tree ROOT CMDLINE ACTIVE_FILE_KIB INACTIVE_FILE_KIB
# 1 GiB of file cache split as asked, 2 GB of RAM, no swap; the caller
# writes ROOT/proc/stat.  The knobs the daemon writes are empty files.
fake_tree() {
	_r=$1
	_fix=tests/unit/fixtures
	mkdir -p $_r/run $_r/proc/sys/vm $_r/proc/pressure $_r/sys/fs/cgroup $_r/dev/virtio-ports \
		$_r/sys/module/page_reporting/parameters $_r/sys/bus/virtio/devices/virtio0/driver
	cp $_fix/buddyinfo.guest $_r/proc/buddyinfo
	cp $_fix/pressure-memory.guest $_r/proc/pressure/memory
	cp $_fix/balloon/features-6.1 $_r/sys/bus/virtio/devices/virtio0/features
	echo 0x0005 >$_r/sys/bus/virtio/devices/virtio0/device
	echo 9 >$_r/sys/module/page_reporting/parameters/page_reporting_order
	echo "cpuset cpu io memory pids" >$_r/sys/fs/cgroup/cgroup.controllers
	: >$_r/sys/fs/cgroup/memory.reclaim
	: >$_r/proc/sys/vm/compact_memory
	: >$_r/proc/sys/vm/drop_caches
	: >$_r/dev/kmsg
	echo "$2" >$_r/proc/cmdline
	cat >$_r/proc/meminfo <<EOM
MemTotal:        2030000 kB
MemFree:          900000 kB
MemAvailable:    1800000 kB
Cached:          1048576 kB
Active(file):  $(printf '%10d' $3) kB
Inactive(file):$(printf '%10d' $4) kB
SReclaimable:       8192 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Dirty:                 0 kB
EOM
}

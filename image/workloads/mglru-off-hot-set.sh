#!/bin/sh
# Probe (issue 14): the hot-set scenario with MGLRU switched off before
# anything is read (the proposal for `auto` on 6.12, by hand), so that
# `auto` sees the classic active and inactive file lists it sees on 6.1.
# Run as bench-hot-set is run; the console says what the switch did.
if [ -w /sys/kernel/mm/lru_gen/enabled ]; then
	echo "probe: lru_gen was $(cat /sys/kernel/mm/lru_gen/enabled)"
	echo n >/sys/kernel/mm/lru_gen/enabled
	echo "probe: lru_gen now $(cat /sys/kernel/mm/lru_gen/enabled)"
fi
exec /etc/workloads/bench-hot-set.sh

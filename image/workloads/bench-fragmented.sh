#!/bin/sh
# Benchmark scenario "fragmented": allocate 768 MiB, free all but one page
# in every 64 (no free 2 MiB block remains there), go idle holding the rest.
. /etc/workloads/bench-lib.sh
start
vrload fragment "$(mib 768)M" >/tmp/frag.log &
# Wait for the fragmenting to finish before calling the work done.
while ! grep -q 'vrload: fragmented' /tmp/frag.log 2>/dev/null; do sleep 1; done
finish

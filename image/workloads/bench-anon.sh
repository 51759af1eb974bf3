#!/bin/sh
# Benchmark scenario "anon": allocate and touch SIZE (768 MiB x size
# factor), free it, go idle.
. /etc/workloads/bench-lib.sh
start
vrload anon "$(mib 768)M" 2
finish

#!/bin/sh
# Benchmark scenario "build": a stand-in for a compile (the image has no
# compiler): three rounds of allocating, reading sources, and CPU work.
. /etc/workloads/bench-lib.sh
start
build_rounds
finish

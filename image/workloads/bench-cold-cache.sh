#!/bin/sh
# Benchmark scenario "cold-cache": read 768 MiB of files once, go idle.
. /etc/workloads/bench-lib.sh
start
vrload read /data/hot /data/cold
finish

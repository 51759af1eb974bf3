#!/bin/sh
# The demo: anonymous memory taken and freed, then files read into page
# cache, then idle.  Each step is marked on the console for the recorder.
ev() { echo "vmreclaim-event: $1"; }

sleep 3
ev anon-start
vrload anon 512M 2
ev anon-freed
sleep 10
ev read-start
vrload read /data
ev read-end
ev idle
# What the service says once it has had time to act (the recorder reads
# the console for 45 s after "idle").
sleep 35
vmreclaimctl status

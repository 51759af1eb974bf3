# Split a demo-workload recording (vmreclaim top --record) by the guest's
# events and print host RSS in bytes:
#   boot anon_peak anon_low read_peak last
# boot: lowest between boot-done and anon-start; anon_peak: highest while
# the 512 MiB are held; anon_low: lowest between anon-freed and read-start;
# read_peak: highest from read-start on; last: the final sample.
BEGIN { FS = "," }
NR > 1 {
	rss = $4
	if ($11 ~ /boot-done/) phase = 1
	if ($11 ~ /anon-start/) phase = 2
	if ($11 ~ /anon-freed/) phase = 3
	if ($11 ~ /read-start/) phase = 4
	if (phase == 1 && (boot == 0 || rss < boot)) boot = rss
	if (phase == 2 && rss > anon_peak) anon_peak = rss
	if (phase == 3 && (anon_low == 0 || rss < anon_low)) anon_low = rss
	if (phase >= 4 && rss > read_peak) read_peak = rss
	last = rss
}
END { printf "%d %d %d %d %d\n", boot, anon_peak, anon_low, read_peak, last }

#!/bin/sh
# Run the libFuzzer targets built by `make fuzzers` (build/fuzz/fuzz_T).
#   scripts/fuzz.sh SECONDS [TARGET...]     every target when none is named
# Each runs for SECONDS on build/fuzz/corpus-T: the seeds of
# tests/fuzz/corpus/T copied in (what a run adds stays there, not in the
# tree), with tests/fuzz/T.dict when there is one.  One line per target:
#   fuzz/T   ok|FAILED  runs=N exec/s=N cov=N ft=N corpus=N
# The whole log is build/fuzz/T.log; a crash leaves build/fuzz/T-crash-*
# and its report is printed.  Exits 1 when a target failed.
# FUZZ_ARGS adds libFuzzer options (e.g. -jobs=2, -max_len=4096).
set -u
cd "$(dirname "$0")/.."

F=build/fuzz
secs=${1:-}
case $secs in
'' | *[!0-9]* | 0)
	echo "usage: $0 SECONDS [TARGET...]" >&2
	exit 2
	;;
esac
shift
if [ $# -eq 0 ]; then
	set -- $(for f in tests/fuzz/fuzz_*.c; do t=${f#tests/fuzz/fuzz_}; echo "${t%.c}"; done)
fi

# The sanitizers stop at the first report; libFuzzer saves the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=""
for t in "$@"; do
	bin=$F/fuzz_$t
	corpus=$F/corpus-$t
	log=$F/$t.log
	if [ ! -x "$bin" ]; then
		printf '%-28s FAILED  not built (make fuzzers)\n' "fuzz/$t"
		failed="$failed $t"
		continue
	fi
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$t" ] && cp -p tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$F/$t-" $dict ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?
	# libFuzzer's last status line ("#N DONE cov: C ft: F corp: U/..."),
	# and its final statistics.
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		res=ok
	else
		res=FAILED
		failed="$failed $t"
		# The report: from the sanitizer's or libFuzzer's first word on.
		if grep -q '^==[0-9]*==\|runtime error\|check failed\|Test unit written' "$log"; then
			sed -n '/^==[0-9]*==\|runtime error\|check failed\|^SUMMARY\|Test unit written/p' \
				"$log" | head -n 40
		else
			tail -n 20 "$log"
		fi
	fi
	printf '%-28s %-6s  runs=%s exec/s=%s cov=%s ft=%s corpus=%s\n' "fuzz/$t" "$res" \
		"${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
done
[ -z "$failed" ] || {
	echo "fuzz: failed:$failed (logs in $F/)"
	exit 1
}

# where: host
# timeout: 400
# Every libFuzzer target (make fuzz) runs for a while from an empty corpus without a crash.
# Seeds (well-formed inputs) in test/fuzz/seeds/NAME/ start a target where they exist.
# Longer runs: build/fuzz/NAME -max_total_time=600 CORPUS_DIR test/fuzz/seeds/NAME
source "$(dirname "$0")/../lib.sh"
secs=${KEEL_FUZZ_SECONDS:-20}
shopt -s nullglob
fuzzers=("$build"/fuzz/*_fuzz)
[ ${#fuzzers[@]} -gt 0 ] || fail "no fuzzers built (make fuzz)"
for f in "${fuzzers[@]}"; do
	work=$(mktemp -d)
	seeds=$top/test/fuzz/seeds/$(basename "$f")
	[ -d "$seeds" ] || seeds=
	if ! "$f" -max_total_time="$secs" -rss_limit_mb=1024 -artifact_prefix="$work/" "$work" $seeds >"$work/log" 2>&1; then
		tail -n 40 "$work/log"
		fail "$(basename "$f") crashed; artifacts in $work"
	fi
	echo "$(basename "$f"): $(grep -E '^Done [0-9]+ runs' "$work/log" | head -1)"
	rm -rf "$work"
done

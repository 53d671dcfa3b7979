# Helpers for integration tests (sourced). Each failure names what was expected.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/build

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }

# expect_exit WANT CMD...: run CMD, fail unless it exits WANT; its output goes to $out.
expect_exit() {
	local want=$1 rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want; output: $out"
}

# expect_in TEXT NEEDLE WHAT
expect_in() { [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: $1"; }

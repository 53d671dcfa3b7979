# where: kmod
# timeout: 120
# keel.ko runs micro guests in real mode and in 64-bit mode to their I/O and MMIO exits
# with the expected registers; afterwards rmmod succeeds and the kernel log holds no
# warning or oops.
source "$(dirname "$0")/../lib.sh"
ko=$top/kmod/keel.ko
[ -f "$ko" ] || fail "$ko is not built (make kmod)"
expect_exit 0 insmod "$ko"
rc=0
timeout 60 "$build/test/keel-micro" || rc=$?
rmmod keel || fail "rmmod keel failed after the micro guests"
dmesg | grep -E "WARNING|BUG|Oops|general protection|keel: " | tail -20
if dmesg | grep -qE "WARNING:|BUG:|Oops|general protection fault"; then
	fail "the kernel log has a warning or oops"
fi
[ $rc -eq 0 ] || fail "keel-micro exited $rc"

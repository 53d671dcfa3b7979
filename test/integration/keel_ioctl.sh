# where: kmod
# timeout: 90
# Every /dev/keel ioctl fed bad arguments fails with the documented error, never an oops;
# rmmod succeeds afterwards and the kernel log is clean.
source "$(dirname "$0")/../lib.sh"
ko=$top/kmod/keel.ko
[ -f "$ko" ] || fail "$ko is not built (make kmod)"
expect_exit 0 insmod "$ko"
rc=0
timeout 60 "$build/test/keel-ioctl" || rc=$?
rmmod keel || fail "rmmod keel failed"
if dmesg | grep -E "WARNING:|BUG:|Oops|general protection fault"; then
	fail "the kernel log has a warning or oops"
fi
[ $rc -eq 0 ] || fail "keel-ioctl exited $rc"

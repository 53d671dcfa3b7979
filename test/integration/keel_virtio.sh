# where: kmod
# timeout: 900
# The virtio disk and network tests (virtio_blk.py, virtio_net.py) again on keel.ko with
# 2 vCPUs: root on virtio-blk, 64 MiB echoed over virtio-net, queue kicks through keel.ko's
# ioeventfds (0 kick exits to userspace) and completions through its irqfds. Afterwards
# rmmod keel succeeds and the kernel log holds no warning or oops.
source "$(dirname "$0")/../lib.sh"
ko=$top/kmod/keel.ko
[ -f "$ko" ] || fail "$ko is not built (make kmod)"
expect_exit 0 insmod "$ko"
export KEEL_TEST_ACCEL=keel KEEL_TEST_CPUS=2
for t in virtio_blk virtio_net; do
	echo "=== $t on keel.ko"
	python3 "$top/test/integration/$t.py" || fail "$t failed on keel.ko"
done
rmmod keel || fail "rmmod keel failed after the virtio tests"
if dmesg | grep -E "WARNING:|BUG:|Oops|general protection fault"; then
	fail "the kernel log has warnings"
fi
echo "virtio-blk and virtio-net pass on keel.ko with 2 vCPUs; rmmod keel succeeded"

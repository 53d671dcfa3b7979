# where: kmod
# timeout: 60
# keel.ko loads where SVM and NPT exist, registers /dev/keel, answers the version ioctl,
# and unloads.
source "$(dirname "$0")/../lib.sh"
ko=$top/kmod/keel.ko
[ -f "$ko" ] || fail "$ko is not built (make kmod)"
if grep -qw kvm_amd /proc/modules; then fail "kvm_amd is loaded in --kmod mode"; fi
expect_exit 0 insmod "$ko"
expect_in "$(dmesg)" "keel: /dev/keel ready" "dmesg after insmod"
[ -c /dev/keel ] || fail "/dev/keel does not exist after insmod"
expect_exit 0 "$build/test/keel-version"
echo "$out"
expect_exit 0 rmmod keel
[ ! -e /dev/keel ] || fail "/dev/keel still exists after rmmod"
grep -qw keel /proc/modules && fail "keel is still in /proc/modules"
# Load again: nothing was left behind by the first load.
expect_exit 0 insmod "$ko"
expect_exit 0 rmmod keel
echo "insmod, version ioctl, rmmod: ok"

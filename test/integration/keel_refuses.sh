# where: host
# timeout: 120
# keel.ko refuses to load, with a message naming what is missing, on a CPU without SVM
# and on one whose SVM lacks nested paging.
source "$(dirname "$0")/../lib.sh"
cd "$top"
ko=$top/kmod/keel.ko
[ -f "$ko" ] || fail "$ko is not built (make kmod)"
probe='if insmod "$0" 2>/dev/null; then echo LOADED; fi; dmesg | grep "keel:"'
expect_exit 0 scripts/testhost run --kmod --timeout 50 --cpu qemu64,-svm -- sh -c "$probe" "$ko"
[[ "$out" != *LOADED* ]] || fail "keel.ko loaded on a CPU without SVM"
expect_in "$out" "has no AMD SVM" "message without SVM"
expect_exit 0 scripts/testhost run --kmod --timeout 50 --cpu max,-npt -- sh -c "$probe" "$ko"
[[ "$out" != *LOADED* ]] || fail "keel.ko loaded on a CPU without NPT"
expect_in "$out" "no nested paging (NPT)" "message without NPT"
echo "refused without SVM and without NPT, with messages"

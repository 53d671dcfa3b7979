# where: kvm
# timeout: 60
# Bad command-line values each get a one-line message naming the value and a non-zero
# exit, before any guest runs.
source "$(dirname "$0")/../lib.sh"
[ -f "$build/guest/vmlinuz" ] || fail "the guest kit is missing (scripts/mkguest)"
vmm=$build/keel-vmm
k=$build/guest/vmlinuz
i=$build/guest/initrd.gz
scratch=$(mktemp -d)
truncate -s 200M "$scratch/huge-initrd"

check() { # WHAT NEEDLE ARGS...
	local what=$1 needle=$2 rc=0
	shift 2
	out=$(timeout 20 "$vmm" "$@" 2>&1 </dev/null) || rc=$?
	[ $rc -ne 0 ] || fail "$what: exit 0"
	[ $rc -ne 124 ] || fail "$what: keel-vmm did not exit (a guest ran?)"
	[ "$(echo "$out" | wc -l)" -le 2 ] || fail "$what: more than a short message: $out"
	[[ "$out" == *"$needle"* ]] || fail "$what: message '$out' does not name '$needle'"
	echo "$what: exit $rc: $out"
}

check "missing kernel" "/nonexistent/vmlinuz" --kernel /nonexistent/vmlinuz
check "no kernel" "--kernel"
check "not a bzImage" "not a bzImage" --kernel "$i"
check "a directory as kernel" "not a regular file" --kernel /tmp
check "missing initrd" "/nonexistent/initrd" --kernel "$k" --initrd /nonexistent/initrd
check "initrd too big" "initrd does not fit" --kernel "$k" --initrd "$scratch/huge-initrd" --memory 128
check "zero memory" "--memory '0'" --kernel "$k" --memory 0
check "absurd memory" "--memory 1048576000 MiB" --kernel "$k" --memory 1000T
check "tiny memory" "at least 32 MiB" --kernel "$k" --memory 1
check "zero vCPUs" "--cpus '0'" --kernel "$k" --cpus 0
check "absurd vCPUs" "--cpus '100000'" --kernel "$k" --cpus 100000
check "bad accelerator" "--accel 'xen'" --kernel "$k" --accel xen
check "bad console" "--console 'serial:x'" --kernel "$k" --console serial:x
check "unknown option" "--frobnicate" --kernel "$k" --frobnicate
check "missing disk" "cannot open disk /nonexistent/disk.img" --kernel "$k" --disk /nonexistent/disk.img
truncate -s 1000 "$scratch/odd.img"
check "disk not whole sectors" "$scratch/odd.img" --kernel "$k" --disk "$scratch/odd.img"
truncate -s 1M "$scratch/busy.img"
flock -x "$scratch/busy.img" sleep 30 &
sleep 0.5
check "disk in use" "in use by another process" --kernel "$k" --disk "$scratch/busy.img"
kill %1 2>/dev/null
check "bad disk option" "unknown option 'cache=none'" --kernel "$k" --disk "$scratch/busy.img,cache=none"
check "bad MAC" "unicast" --kernel "$k" --net tap=keelbad0,mac=ff:ff:ff:ff:ff:ff
check "bad channel" "name=NAME" --kernel "$k" --channel unix:/tmp/x
rm -rf "$scratch"

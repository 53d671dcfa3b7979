# where: host
# timeout: 240
# The test host runs a command at the same path, returns its status, and always ends.
source "$(dirname "$0")/../lib.sh"
cd "$top"

expect_exit 0 scripts/testhost run -- sh -c 'test -c /dev/kvm && uname -r'
[[ "$out" =~ (^|$'\n')6\.1\.[0-9]+-[0-9]+-amd64 ]] || fail "uname -r inside is not a 6.1 kernel: $out"
echo "inside: $out"

expect_exit 1 scripts/testhost run -- false

t0=$(date +%s)
expect_exit 124 scripts/testhost run --timeout 20 -- sleep 600
took=$(($(date +%s) - t0))
[ "$took" -lt 50 ] || fail "a 20 s timeout took ${took}s to end the test host"
echo "timeout ended the test host in ${took}s"

# Files come back out through --out; the command runs in the caller's directory.
scratch=$(mktemp -d)
expect_exit 0 scripts/testhost run --out "$scratch" -- sh -c 'pwd > "$0/pwd"; echo x > /tmp/t && cat /tmp/t > "$0/tmpfs"' "$scratch"
[ "$(cat "$scratch/pwd")" = "$top" ] || fail "command ran in '$(cat "$scratch/pwd")', want $top"
[ "$(cat "$scratch/tmpfs")" = x ] || fail "the scratch tmpfs or --out did not work"
rm -rf "$scratch"

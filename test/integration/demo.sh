# where: host
# timeout: 300
# make demo without a terminal: the appliance boots (inside the test host here), prints its
# banner, uname -a, CPU count and memory, and powers off with exit 0.
source "$(dirname "$0")/../lib.sh"
cd "$top"
expect_exit 0 scripts/demo
echo "$out" | grep -vE '^\[ *[0-9]+\.[0-9]+\]' | tail -12
expect_in "$out" "running it inside the test host" "the one-line notice"
expect_in "$out" "=== Welcome to Keel ===" "banner"
expect_in "$out" "kernel: Linux" "uname -a"
expect_in "$out" "cpus: 2" "nproc"
expect_in "$out" "MemTotal:" "memory"
expect_in "$out" "the guest powered off" "power off"

# where: kvm
# timeout: 300
# keel-vmm boots the Debian kernel with a busybox initramfs: 1 vCPU/256 MiB and
# 4 vCPUs/3584 MiB; the guest sees its CPUs and memory; poweroff -f exits keel-vmm 0.
import re
import sys

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import Vmm, fail, run  # noqa: E402


def boot(cpus, memory):
    vm = Vmm("poweroff", cpus=cpus, memory=memory)
    took = vm.wait_for("=== Welcome to Keel ===", 120)
    code = vm.wait_exit(60)
    out = vm.text()
    if code != 0:
        fail("keel-vmm exited %d after poweroff -f, want 0" % code)
    m = re.search(r"cpus: (\d+)", out)
    if not m or int(m.group(1)) != cpus:
        fail("the guest reports %s CPUs, want %d" % (m and m.group(1), cpus))
    m = re.search(r"MemTotal:\s+(\d+) kB", out)
    if not m:
        fail("no MemTotal on the console")
    total = int(m.group(1)) * 1024
    given = memory << 20
    print("\n%d vCPU/%d MiB: banner after %.1fs, MemTotal %d kB = %.1f%% of %d MiB" %
          (cpus, memory, took, total // 1024, 100.0 * total / given, memory))
    # The kernel's own image and tables are a fixed cost of ~45 MiB: 5% holds from a few GiB.
    if memory >= 2048 and abs(total - given) > 0.05 * given:
        fail("MemTotal %d kB is not within 5%% of %d MiB" % (total // 1024, memory))
    if total > given or total < given - (64 << 20) - 0.05 * given:
        fail("MemTotal %d kB is far from the %d MiB given" % (total // 1024, memory))


def main():
    boot(1, 256)
    boot(4, 3584)


run(main)

# where: kvm
# timeout: 480
# Reboot resets the guest in place (its banner twice) or exits 2 under --no-reboot; a
# triple fault (reboot=t) exits 3 with a message naming it;
# powerdown on the control socket powers an acpid guest off; pause stops the guest's
# counter and resume continues it; a malformed control request gets an error reply.
import json
import re
import sys
import time

sys.path.insert(0, __file__.rsplit("/test/", 1)[0] + "/test")
from keeltest import Vmm, fail, run  # noqa: E402

BANNER = "=== Welcome to Keel ==="


def reboot_in_place():
    vm = Vmm("reboot")
    vm.wait_for(BANNER, 120, count=2)
    status = vm.command("query-status")["return"]
    if status.get("resets", 0) < 1:
        fail("query-status reports %s resets after a reboot" % status.get("resets"))
    vm.command("quit")
    code = vm.wait_exit(30)
    if code != 0:
        fail("quit after the reboot: exit %d, want 0" % code)
    print("\nreboot -f: the banner appeared twice; quit exited 0")


def no_reboot_exits():
    vm = Vmm("reboot", extra=["--no-reboot"])
    vm.wait_for(BANNER, 120)
    code = vm.wait_exit(60)
    if code != 2:
        fail("--no-reboot: exit %d after reboot -f, want 2" % code)
    if vm.text().count(BANNER) != 1:
        fail("--no-reboot: the guest booted %d times" % vm.text().count(BANNER))
    print("\n--no-reboot: exit 2 after one boot")


def triple_fault_exits():
    # reboot=t makes Linux reboot by triple-faulting the CPU.
    vm = Vmm("reboot", append_extra="reboot=t")
    vm.wait_for(BANNER, 120)
    code = vm.wait_exit(60)
    if code != 3:
        fail("triple fault: exit %d, want 3" % code)
    if "triple fault" not in vm.text():
        fail("no message naming the triple fault")
    print("\ntriple fault: exit 3 with its message")


def powerdown():
    vm = Vmm("acpid")
    vm.wait_for("acpid ready", 120)
    time.sleep(1)
    t0 = time.monotonic()
    reply = vm.command("powerdown")
    if "return" not in reply:
        fail("powerdown replied %s" % reply)
    code = vm.wait_exit(30)
    if code != 0:
        fail("powerdown: exit %d, want 0" % code)
    if "power button pressed" not in vm.text():
        fail("the guest's acpid did not see the power button")
    print("\npowerdown: the guest powered off in %.1fs, exit 0" % (time.monotonic() - t0))


def pause_resume():
    vm = Vmm("counter")
    vm.wait_for("tick 3", 120)
    if vm.command("pause") != {"return": {}}:
        fail("pause did not return {}")
    if vm.command("query-status")["return"]["status"] != "paused":
        fail("query-status does not say paused")
    time.sleep(0.5)
    before = re.findall(r"tick (\d+)", vm.text())[-1]
    time.sleep(3)
    after = re.findall(r"tick (\d+)", vm.text())[-1]
    if before != after:
        fail("the counter went on while paused: %s -> %s" % (before, after))
    vm.command("resume")
    vm.wait_for("tick %d" % (int(after) + 2), 30)
    bad = vm.raw_request(b"{not json\n")
    if b'"error"' not in bad:
        fail("a malformed request got %r" % bad)
    reply = json.loads(vm.raw_request(b'{"execute": "no-such-command"}\n'))
    if reply.get("error", {}).get("class") != "CommandNotFound":
        fail("an unknown command got %s" % reply)
    if vm.command("query-status")["return"]["status"] != "running":
        fail("the VM is not running after the bad requests")
    vm.command("quit")
    if vm.wait_exit(30) != 0:
        fail("quit did not exit 0")
    print("\npause held the counter at %s for 3s; resume continued it" % after)


def main():
    reboot_in_place()
    no_reboot_exits()
    triple_fault_exits()
    powerdown()
    pause_resume()


run(main)

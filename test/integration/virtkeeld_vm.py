# where: kvm
# timeout: 600
# suite: full
# virtkeeld runs real guests, driven by Debian's virsh with no option but -c keel:///system
# (the stock socket in /run/libvirt) and by python3-libvirt:
# - define a domain (2 vCPUs, root on a virtio disk, a NIC on a bridge), list --all,
#   start --console (the guest's banner arrives through the console stream, and a command
#   typed into it is answered), dominfo (running, CPU(s) 2, Max memory), domstate, dumpxml
#   (id, the console's pty, the TAP on the bridge), suspend/resume, shutdown (shut off
#   within 30 s), start again, destroy, undefine;
# - virtkeeld restarted while a guest runs finds it again (same id, console works);
# - keel-vmm killed behind virtkeeld's back: shut off (crashed) at once;
# - start --paused, reboot, on_crash=restart after keel-vmm dies, a transient domain
#   (virsh create) gone after destroy, an autostart domain starts when virtkeeld starts;
# - virsh -r lists but cannot start or destroy;
# - the python API does the same cycle and receives the lifecycle events.
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from keeltest import GUEST, fail, guest_kit, run  # noqa: E402
from virtkeeld import Virtkeeld, domain_xml  # noqa: E402

BRIDGE = "keelbr0"


class Console:
    """virsh in a pseudo terminal (virsh console wants one), read in the background."""

    def __init__(self, d, *args):
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp("virsh", ["virsh", "-c", d.uri] + list(args))
        self.pid, self.fd, self.out = pid, fd, b""

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                self.out += os.read(self.fd, 65536)
            except OSError:
                return False
        return True

    def expect(self, what, timeout):
        deadline = time.monotonic() + timeout
        while what.encode() not in self.out:
            if time.monotonic() > deadline or not self.pump(0.2):
                fail("the console did not show %r within %ds; it showed:\n%s" %
                     (what, timeout, self.out.decode(errors="replace")[-2000:]))

    def send(self, text):
        os.write(self.fd, text.encode())

    def close(self):
        self.send("\x1d")  # Ctrl-]: virsh leaves the console
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            self.pump(0.1)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            fail("virsh console did not leave on Ctrl-]")
        os.close(self.fd)


def talk(console, tag):
    """A command typed into the console is answered: both directions of the stream. Typed
    again if the shell was not reading yet (it may still be starting)."""
    for attempt in range(3):
        console.send("\r")
        console.send("echo %s-$((6*%d))\r" % (tag, 7 + attempt))
        try:
            console.expect("%s-%d" % (tag, 6 * (7 + attempt)), 10)
            return
        except Exception:
            if attempt == 2:
                raise


PY_CYCLE = r'''
import libvirt, sys, threading, time
uri, name = sys.argv[1], sys.argv[2]
libvirt.virEventRegisterDefaultImpl()
events = []
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
conn = libvirt.open(uri)
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, e, det, o: events.append((e, det)), None)
dom = conn.lookupByName(name)
dom.create()
assert dom.isActive() and dom.ID() > 0
info = dom.info()
assert info[0] == libvirt.VIR_DOMAIN_RUNNING and info[3] == 2, info
dom.suspend()
assert dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
dom.resume()
assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
dom.destroy()
assert dom.state() == [libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_SHUTOFF_DESTROYED]
want = [(libvirt.VIR_DOMAIN_EVENT_STARTED, libvirt.VIR_DOMAIN_EVENT_STARTED_BOOTED),
        (libvirt.VIR_DOMAIN_EVENT_SUSPENDED, libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED),
        (libvirt.VIR_DOMAIN_EVENT_RESUMED, libvirt.VIR_DOMAIN_EVENT_RESUMED_UNPAUSED),
        (libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED)]
deadline = time.time() + 10
while len(events) < len(want) and time.time() < deadline:
    time.sleep(0.05)
assert events == want, events
print("PYAPI ok", events)
'''


def main():
    guest_kit()
    tmp = tempfile.mkdtemp(prefix="virtkeeld-vm-")
    disk = os.path.join(tmp, "root.img")
    shutil.copy(os.path.join(GUEST, "root.ext4"), disk)
    subprocess.run(["ip", "link", "add", BRIDGE, "type", "bridge"], check=False)
    subprocess.run(["ip", "link", "set", BRIDGE, "up"], check=True)
    xml_path = os.path.join(tmp, "vm1.xml")
    with open(xml_path, "w") as f:
        f.write(domain_xml("vm1", disk=disk, bridge=BRIDGE))
    d = Virtkeeld()
    try:
        if "Running hypervisor: KEEL" not in d.virsh("version")[1]:
            fail("virsh -c keel:///system version does not reach virtkeeld")
        d.virsh("nodeinfo")
        d.virsh("define", xml_path)
        if not re.search(r"-\s+vm1\s+shut off", d.virsh("list", "--all")[1]):
            fail("list --all does not show vm1 shut off")

        con = Console(d, "start", "vm1", "--console")
        con.expect("=== Welcome to Keel ===", 120)
        con.expect("service ready", 60)
        talk(con, "CONSOLE")
        info = d.virsh("dominfo", "vm1")[1]
        for want in ("State:          running", "CPU(s):         2",
                     "Max memory:     262144 KiB"):
            if want not in info:
                fail("dominfo lacks %r:\n%s" % (want, info))
        if d.virsh("domstate", "vm1")[1].strip() != "running":
            fail("domstate is not running")
        dump = d.virsh("dumpxml", "vm1")[1]
        m = re.search(r"<console type='pty' tty='(/dev/pts/\d+)'>", dump)
        tap = re.search(r"<target dev='(vnet\d+)'/>", dump)
        if " id='" not in dump or not m or not tap:
            fail("the live XML lacks the id, the console pty or the TAP:\n" + dump)
        master = subprocess.run(["ip", "-o", "link", "show", tap.group(1)],
                                capture_output=True, text=True).stdout
        if "master " + BRIDGE not in master:
            fail("%s is not on %s: %s" % (tap.group(1), BRIDGE, master))
        print("started with its console: banner, a command answered; running, 2 CPUs, "
              "console %s, %s on %s" % (m.group(1), tap.group(1), BRIDGE))
        con.close()

        d.virsh("suspend", "vm1")
        d.wait_state("vm1", "paused", 10)
        d.virsh("resume", "vm1")
        d.wait_state("vm1", "running", 10)
        code, out, err = d.virsh("list", ro=True, ok=False)
        if code or "vm1" not in out:
            fail("virsh -r list: %r" % err)
        for args in (("destroy", "vm1"), ("suspend", "vm1"), ("shutdown", "vm1")):
            code, _, err = d.virsh(*args, ro=True, ok=False)
            if code == 0 or "read only" not in err:
                fail("virsh -r %s was not refused: %r" % (args[0], err))
        print("suspend/resume; virsh -r lists but cannot destroy, suspend or shut down")

        d.virsh("shutdown", "vm1")
        took = d.wait_state("vm1", "shut off", 30)
        reason = d.virsh("domstate", "--reason", "vm1")[1].strip()
        if reason != "shut off (shutdown)":
            fail("after shutdown: %r" % reason)
        print("shutdown: shut off after %.1f s" % took)

        d.virsh("start", "vm1")
        first_id = d.virsh("domid", "vm1")[1].strip()
        d.stop()
        d.start()
        if d.virsh("domstate", "vm1")[1].strip() != "running" or \
                d.virsh("domid", "vm1")[1].strip() != first_id:
            fail("after restarting virtkeeld vm1 is not running with id %s" % first_id)
        con = Console(d, "console", "vm1")
        con.expect("Escape character", 10)
        con.expect("service ready", 60)
        talk(con, "AGAIN")
        con.close()
        print("virtkeeld restarted: vm1 still running with id %s, console works" % first_id)

        d.virsh("destroy", "vm1")
        reason = d.virsh("domstate", "--reason", "vm1")[1].strip()
        if reason != "shut off (destroyed)":
            fail("after destroy: %r" % reason)

        d.virsh("start", "vm1")
        pid = int(open(os.path.join(d.run_dir, "vm1.state")).read().split("pid=")[1].split()[0])
        os.kill(pid, signal.SIGKILL)
        d.wait_state("vm1", "shut off", 10)
        reason = d.virsh("domstate", "--reason", "vm1")[1].strip()
        if reason != "shut off (crashed)":
            fail("after keel-vmm was killed: %r" % reason)
        print("destroy: shut off (destroyed); keel-vmm killed: shut off (crashed)")

        # start --paused, reboot, a crash under on_crash=restart.
        d.virsh("start", "--paused", "vm1")
        d.wait_state("vm1", "paused", 10)
        d.virsh("resume", "vm1")
        d.virsh("reboot", "vm1")
        d.wait_state("vm1", "running", 10)
        d.virsh("destroy", "vm1")
        # Redefined from its own XML (same uuid): on_crash changes to restart.
        crashy = d.virsh("dumpxml", "--inactive", "vm1")[1].replace(
            "<on_crash>destroy</on_crash>", "<on_crash>restart</on_crash>")
        with open(xml_path, "w") as f:
            f.write(crashy)
        d.virsh("define", xml_path)
        d.virsh("start", "vm1")
        old_id = d.virsh("domid", "vm1")[1].strip()
        pid = int(open(os.path.join(d.run_dir, "vm1.state")).read().split("pid=")[1].split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while d.virsh("domid", "vm1", ok=False)[1].strip() in (old_id, "-", ""):
            if time.monotonic() > deadline:
                fail("on_crash=restart: vm1 was not started again after keel-vmm died")
            time.sleep(0.2)
        d.wait_state("vm1", "running", 10)
        d.virsh("destroy", "vm1")
        print("start --paused, reboot; on_crash=restart: started again after keel-vmm died")

        # A transient domain: virsh create runs it, destroy makes it disappear.
        tpath = os.path.join(tmp, "vm2.xml")
        with open(tpath, "w") as f:
            f.write(domain_xml("vm2", mode="acpid", vcpus=1))
        d.virsh("create", tpath)
        if "Persistent:     no" not in d.virsh("dominfo", "vm2")[1]:
            fail("virsh create: vm2 is not a transient domain")
        d.virsh("destroy", "vm2")
        if "vm2" in d.virsh("list", "--all", "--name")[1]:
            fail("the transient vm2 is still listed after destroy")
        print("create: a transient domain runs and is gone after destroy")

        d.virsh("autostart", "vm1")
        d.stop()
        d.start()
        d.wait_state("vm1", "running", 30)
        d.virsh("destroy", "vm1")
        d.virsh("autostart", "--disable", "vm1")
        print("autostart: vm1 started when virtkeeld did")

        r = subprocess.run(["/usr/bin/python3", "-c", PY_CYCLE, d.uri, "vm1"],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0 or "PYAPI ok" not in r.stdout:
            fail("python3-libvirt cycle: %s %s" % (r.stdout, r.stderr))
        print(r.stdout.strip())

        d.virsh("undefine", "vm1")
        if d.virsh("list", "--all", "--name")[1].strip():
            fail("undefine left vm1")
        print("undefine: gone")
    finally:
        subprocess.run(["virsh", "-c", d.uri, "destroy", "vm1"], capture_output=True)
        d.stop()
        print("--- virtkeeld's log ---\n" + d.log())
        for f in os.listdir(d.log_dir) if os.path.isdir(d.log_dir) else []:
            print("--- %s ---" % f)
            print(open(os.path.join(d.log_dir, f)).read()[-3000:])


run(main)

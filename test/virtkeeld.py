"""Helpers for virtkeeld's integration tests: start the daemon with its own directories,
run Debian's virsh against it, write domain XML for the guest kit. Every wait has a
deadline."""
import os
import signal
import subprocess
import tempfile
import time

from keeltest import BUILD, GUEST, fail

VIRTKEELD = os.path.join(BUILD, "virtkeeld")


class Virtkeeld:
    """A running virtkeeld. listen=None: the stock sockets in /run/libvirt, so plain
    `virsh -c keel:///system` finds it; otherwise a directory of its own."""

    def __init__(self, listen=None, state=None, vmm=None):
        self.dir = tempfile.mkdtemp(prefix="virtkeeld-test-")
        self.listen = listen
        self.vmm = vmm
        self.state = state or os.path.join(self.dir, "state")
        self.run_dir = os.path.join(self.dir, "run")
        self.log_dir = os.path.join(self.dir, "log")
        self.log_path = os.path.join(self.dir, "virtkeeld.log")
        sock_dir = listen or "/run/libvirt"
        self.sock = os.path.join(sock_dir, "virtkeeld-sock")
        self.sock_ro = os.path.join(sock_dir, "virtkeeld-sock-ro")
        self.uri = "keel:///system" if listen is None else \
            "keel:///system?socket=" + self.sock
        self.uri_ro = "keel:///system" if listen is None else \
            "keel:///system?socket=" + self.sock_ro
        self.proc = None
        self.start()

    def start(self):
        argv = [VIRTKEELD, "--state", self.state, "--run", self.run_dir, "--log-dir",
                self.log_dir]
        if self.listen:
            argv += ["--listen", self.listen]
        if self.vmm:
            argv += ["--vmm", self.vmm]
        for p in (self.sock, self.sock_ro):
            if os.path.exists(p):
                os.unlink(p)
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (os.path.exists(self.sock) and os.path.exists(self.sock_ro)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                fail("virtkeeld did not start listening:\n" + self.log())
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("virtkeeld did not stop on SIGTERM")

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def virsh(self, *args, ok=True, ro=False, timeout=60):
        """virsh -c URI ARGS: (exit code, stdout, stderr); fails unless it exits 0 when ok."""
        argv = ["virsh", "-c", self.uri_ro if ro else self.uri]
        if ro:
            argv.append("-r")
        argv += list(args)
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            fail("%s did not finish within %ds" % (" ".join(args), timeout))
        if ok and r.returncode != 0:
            fail("virsh %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr.strip()))
        return r.returncode, r.stdout, r.stderr

    def wait_state(self, name, want, timeout):
        deadline = time.monotonic() + timeout
        while True:
            state = self.virsh("domstate", name)[1].strip()
            if state == want:
                return time.monotonic() - (deadline - timeout)
            if time.monotonic() > deadline:
                fail("domain %s is '%s' after %ds, want '%s'" % (name, state, timeout, want))
            time.sleep(0.2)


def domain_xml(name, mode="service", memory_mib=256, vcpus=2, disk=None, bridge=None,
               extra_devices=""):
    """A domain booting the guest kit's kernel in keel.mode=MODE, root on disk if given."""
    cmdline = "console=ttyS0 keel.mode=%s" % mode
    devices = ""
    if disk:
        cmdline += " root=/dev/vda"
        devices += ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                    "<source file='%s'/><target dev='vda' bus='virtio'/>"
                    "<serial>KEELROOT</serial></disk>" % disk)
    if bridge:
        devices += ("<interface type='bridge'><source bridge='%s'/><model type='virtio'/>"
                    "</interface>" % bridge)
    return """<domain type='keel'>
  <name>%s</name>
  <title>virtkeeld test</title>
  <metadata><t:test xmlns:t="http://keel.example/test">kept as is</t:test></metadata>
  <memory unit='MiB'>%d</memory>
  <vcpu>%d</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%s</kernel>
    <initrd>%s</initrd>
    <cmdline>%s</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/libexec/keel/keel-vmm</emulator>
    %s
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <input type='mouse' bus='ps2'/>
    %s
  </devices>
</domain>
""" % (name, memory_mib, vcpus, os.path.join(GUEST, "vmlinuz"),
       os.path.join(GUEST, "initrd.gz"), cmdline, devices, extra_devices)

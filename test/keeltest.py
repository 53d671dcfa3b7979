"""Helpers for integration tests that drive keel-vmm: start it, watch its console, talk to
its control socket, wait for its exit. Every wait has a deadline."""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
VMM = os.path.join(BUILD, "keel-vmm")
GUEST = os.path.join(BUILD, "guest")


class TestFailure(Exception):
    pass


def fail(msg):
    raise TestFailure(msg)


def guest_kit():
    """The guest kernel and initramfs, built by scripts/mkguest (before the test host starts:
    inside it the tree is read-only)."""
    if os.environ.get("KEEL_TESTHOST") != "1":
        subprocess.run([os.path.join(TOP, "scripts", "mkguest")], check=True)
    for f in ("vmlinuz", "initrd.gz"):
        if not os.path.exists(os.path.join(GUEST, f)):
            fail("%s is missing: run scripts/mkguest" % os.path.join(GUEST, f))
    return os.path.join(GUEST, "vmlinuz"), os.path.join(GUEST, "initrd.gz")


class Vmm:
    """A running keel-vmm with its console on a pipe and a control socket."""

    def __init__(self, mode, cpus=1, memory=256, extra=(), append_extra="", control=True,
                 pass_fds=()):
        kernel, initrd = guest_kit()
        cpus = int(os.environ.get("KEEL_TEST_CPUS", cpus))
        self.dir = tempfile.mkdtemp(prefix="keel-test-")
        self.control_path = os.path.join(self.dir, "control.sock") if control else None
        append = "console=ttyS0 keel.mode=%s %s" % (mode, append_extra)
        self.argv = [VMM, "--kernel", kernel, "--initrd", initrd, "--append", append.strip(),
                     "--memory", str(memory), "--cpus", str(cpus), "--console", "stdio"]
        if control:
            self.argv += ["--control", self.control_path]
        # The same tests on another accelerator (test/integration/keel_virtio.sh).
        if os.environ.get("KEEL_TEST_ACCEL") and "--accel" not in extra:
            self.argv += ["--accel", os.environ["KEEL_TEST_ACCEL"]]
        self.argv += list(extra)
        if os.environ.get("KEEL_GUEST_CPU"):
            # The test host keeps that CPU quiet for nested guests (scripts/testhost).
            self.argv = ["taskset", "-c", os.environ["KEEL_GUEST_CPU"]] + self.argv
        self.started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     pass_fds=pass_fds)
        self.output = b""
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            with self.lock:
                if not chunk:
                    self.lock.notify_all()
                    return
                self.output += chunk
                self.lock.notify_all()
            sys.stdout.buffer.write(chunk)
            sys.stdout.flush()

    def text(self):
        with self.lock:
            return self.output.decode(errors="replace")

    def wait_for(self, needle, timeout, count=1):
        """Waits until needle appears count times on the console; fails at the deadline."""
        deadline = time.monotonic() + timeout
        raw = needle.encode()
        with self.lock:
            while self.output.count(raw) < count:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    break
                self.lock.wait(min(left, 0.5))
            if self.output.count(raw) >= count:
                return time.monotonic() - self.started
        self.dump_threads()
        self.kill()
        fail("'%s' (x%d) did not appear on the console within %ds" % (needle, count, timeout))

    def dump_threads(self):
        """Where a stuck keel-vmm's threads are, for the test log (gdb, when installed)."""
        if self.proc.poll() is not None:
            return
        try:
            subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex",
                            "thread apply all bt 12"], timeout=60,
                           stdout=sys.stdout, stderr=subprocess.STDOUT)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def command(self, name, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(timeout)
                s.connect(self.control_path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    fail("cannot connect to the control socket %s" % self.control_path)
                time.sleep(0.1)
        with s:
            s.sendall(json.dumps({"execute": name}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return json.loads(data)

    def raw_request(self, payload, timeout=10):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.control_path)
        with s:
            s.sendall(payload)
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return data

    def wait_exit(self, timeout):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("keel-vmm did not exit within %ds" % timeout)
        self.reader.join(5)
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def debugfs_cat(image, path):
    out = subprocess.run(["debugfs", "-R", "cat " + path, image], capture_output=True,
                         check=True)
    return out.stdout


def check_disktest_image(vm, image):
    """After keel.mode=disktest: the image passes e2fsck -fn and /data.bin on it has the
    checksum the guest printed (naming the MiB that differ if not). Returns the checksum."""
    text = vm.text()
    line = [l for l in text.splitlines() if l.startswith("DISKTEST sha256=")][0]
    want = line.split("=", 1)[1].strip()
    fsck = subprocess.run(["e2fsck", "-fn", image], capture_output=True, text=True)
    if fsck.returncode != 0:
        fail("e2fsck -fn found problems (exit %d):\n%s" % (fsck.returncode, fsck.stdout))
    data = debugfs_cat(image, "/data.bin")
    if len(data) != 4 << 20:
        fail("/data.bin holds %d bytes, want 4 MiB" % len(data))
    if hashlib.sha256(data).hexdigest() != want:
        bad = []
        for i in range(4):
            m = re.search(r"DISKTEST mib%d=(\w+)" % i, text)
            if m and hashlib.sha256(data[i << 20:(i + 1) << 20]).hexdigest() != m.group(1):
                bad.append(i)
        fail("/data.bin on the image does not match the checksum the guest printed "
             "(MiB that differ: %s)" % bad)
    if debugfs_cat(image, "/data.sha256").decode().split()[0] != want:
        fail("/data.sha256 on the image differs from what the guest printed")
    return want


def run(main):
    try:
        main()
    except TestFailure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("ok")

"""The Debian package: `cpack -G DEB` (the build tree's CPackConfig.cmake) writes the .deb into
a temporary folder; `dpkg-deb -x` unpacks it there (nothing is installed on this machine), and
the test checks its files (binaries run --version, the config, the systemd unit, docs), its
control data (name, computed dependencies, maintainer scripts, conffiles), runs
`systemd-analyze verify` on the unit when available and lintian, failing on lintian errors
(warnings are printed).
"""

import glob
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdtest  # noqa: E402
from kvdtest import eq  # noqa: E402

BUILD = os.path.dirname(kvdtest.kvd_server_path())
SOURCE = kvdtest.SOURCE_DIR


def run(*argv, timeout=120, check=True, **kw):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} -> {r.returncode}\nstdout:\n{r.stdout[-3000:]}\nstderr:\n{r.stderr[-3000:]}")
    return r


def build_package(tmp):
    cfg = os.path.join(BUILD, "CPackConfig.cmake")
    assert os.path.exists(cfg), f"{cfg} missing: configure the build with CMake first"
    t0 = time.monotonic()
    run("cpack", "--config", cfg, "-G", "DEB", "-B", tmp, timeout=300, cwd=BUILD)
    debs = glob.glob(os.path.join(tmp, "*.deb"))
    eq(len(debs), 1, f"one .deb in {os.listdir(tmp)}")
    print(f"cpack: {os.path.basename(debs[0])} in {time.monotonic() - t0:.1f} s", flush=True)
    return debs[0]


def check_control(deb, tmp):
    fields = {}
    for line in run("dpkg-deb", "-f", deb).stdout.splitlines():
        if ":" in line and not line.startswith(" "):
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    eq(fields.get("Package"), "kvd", "Package")
    depends = fields.get("Depends", "")
    for dep in ("libc6", "libstdc++6", "libsystemd0", "adduser"):
        assert dep in depends, f"Depends lacks {dep}: {depends}"
    ctl = os.path.join(tmp, "control")
    run("dpkg-deb", "-e", deb, ctl)
    for script in ("postinst", "prerm", "postrm"):
        path = os.path.join(ctl, script)
        assert os.access(path, os.X_OK), f"{script} missing or not executable"
        run("sh", "-n", path)
    with open(os.path.join(ctl, "conffiles")) as f:
        eq(f.read().split(), ["/etc/kvd/kvd.conf"], "conffiles")
    with open(os.path.join(ctl, "postinst")) as f:
        text = f.read()
    assert "adduser --system" in text and "/var/lib/kvd" in text, "postinst creates user kvd and /var/lib/kvd"
    with open(os.path.join(ctl, "postrm")) as f:
        text = f.read()
    assert "purge" in text and "deluser" in text, "postrm purge removes user kvd"


def check_files(deb, tmp):
    root = os.path.join(tmp, "root")
    run("dpkg-deb", "-x", deb, root)
    for exe in ("kvd-server", "kvd-cli", "kvd-check-aof", "kvd-check-rdb"):
        path = os.path.join(root, "usr", "bin", exe)
        assert os.access(path, os.X_OK), f"/usr/bin/{exe} missing or not executable"
        out = run(path, "--version", timeout=10).stdout
        assert out.strip(), f"{exe} --version printed nothing"
    # The packaged kvd-check-rdb checks a minimal RDB file (header, EOF, CRC64 disabled).
    rdb = os.path.join(tmp, "empty.rdb")
    with open(rdb, "wb") as f:
        f.write(b"REDIS0010\xff" + bytes(8))
    out = run(os.path.join(root, "usr", "bin", "kvd-check-rdb"), rdb, timeout=10).stdout
    assert "RDB looks OK" in out and "[info] 0 keys read" in out, out
    with open(os.path.join(root, "etc", "kvd", "kvd.conf")) as a, open(os.path.join(SOURCE, "conf", "kvd.conf")) as b:
        eq(a.read(), b.read(), "/etc/kvd/kvd.conf is conf/kvd.conf")
    unit = os.path.join(root, "lib", "systemd", "system", "kvd.service")
    with open(unit) as f:
        text = f.read()
    for line in ("Type=notify", "User=kvd", "StateDirectory=kvd", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "ExecStart=/usr/bin/kvd-server --config /etc/kvd/kvd.conf --supervised systemd --dir /var/lib/kvd"):
        assert line in text.splitlines(), f"kvd.service lacks {line!r}"
    doc = os.path.join(root, "usr", "share", "doc", "kvd")
    assert os.path.exists(os.path.join(doc, "copyright")), "copyright"
    with gzip.open(os.path.join(doc, "changelog.gz"), "rt") as f:
        assert f.read().startswith("kvd (")
    # The server from the package starts with the packaged config and answers PING.
    port = kvdtest.free_port()
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    proc = subprocess.Popen([os.path.join(root, "usr", "bin", "kvd-server"), "--config", os.path.join(root, "etc", "kvd", "kvd.conf"),
                             "--port", str(port), "--http-port", "0", "--dir", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=kvdtest._die_with_parent)
    try:
        deadline = time.monotonic() + 10
        while not kvdtest.ping_once(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert kvdtest.ping_once(port), "packaged kvd-server answers PING"
    finally:
        proc.terminate()
        eq(proc.wait(timeout=5), 0, "packaged kvd-server exit status")
    return root, unit


def check_unit(root, unit):
    tool = shutil.which("systemd-analyze")
    if not tool:
        print("SKIP systemd-analyze verify: systemd-analyze is not installed", flush=True)
        return
    # `verify --root=` would not find systemd's own targets (sysinit.target...), and without it
    # ExecStart= must name an existing file: verify a copy whose ExecStart points at the
    # unpacked binary, everything else as shipped.
    folder = os.path.join(os.path.dirname(root), "unit")
    os.mkdir(folder)
    copy = os.path.join(folder, "kvd.service")
    with open(unit) as f, open(copy, "w") as out:
        out.write(f.read().replace("/usr/bin/kvd-server", os.path.join(root, "usr", "bin", "kvd-server")))
    r = run(tool, "verify", copy, check=False, timeout=60)
    out = (r.stdout + r.stderr).strip()
    print(f"systemd-analyze verify: status {r.returncode}{': ' + out if out else ''}", flush=True)
    eq(r.returncode, 0, "systemd-analyze verify status")


def check_lintian(deb):
    assert shutil.which("lintian"), "lintian not installed (tools/bootstrap installs it)"
    r = run("lintian", "--tag-display-limit", "0", "--fail-on", "error", deb, check=False, timeout=180)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    print("lintian:\n  " + "\n  ".join(lines) if lines else "lintian: no tags", flush=True)
    errors = [l for l in lines if l.startswith("E:")]
    eq(errors, [], "lintian errors")
    eq(r.returncode, 0, "lintian status")


def test_deb_package():
    tmp = tempfile.mkdtemp(prefix="kvd-deb-")
    try:
        deb = build_package(tmp)
        check_control(deb, tmp)
        root, unit = check_files(deb, tmp)
        check_unit(root, unit)
        check_lintian(deb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    kvdtest.main(lambda: kvdtest.run_tests([test_deb_package]))

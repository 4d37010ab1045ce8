"""Test certificates made with Debian's openssl: a CA, and certificates it signs.

    ca = TlsAuthority(directory)                 # warden-test-ca, valid 10 years
    cert, key = ca.issue("node-0", days=5)       # for 127.0.0.1-.3 and localhost
    other = TlsAuthority(other_dir, "other-ca")  # an unrelated CA (for "unknown CA" tests)

Keys are EC P-256 (fast to make). Node certificates carry no extendedKeyUsage, so Redis
can use them as server and as client certificates (cluster bus, replication)."""

from __future__ import annotations

import os
import subprocess

OPENSSL = "/usr/bin/openssl"
DEFAULT_SANS = "IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:::1,DNS:localhost"


def _run(*args: str, cwd: str) -> None:
    done = subprocess.run([OPENSSL, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {done.stderr.strip()}")


class TlsAuthority:
    def __init__(self, directory: str, name: str = "warden-test-ca"):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory
        self.name = name
        self.cert = os.path.join(directory, f"{name}.crt")
        self.key = os.path.join(directory, f"{name}.key")
        self._serial = 1
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "3650",
             "-subj", f"/CN={name}", cwd=directory)

    def issue(self, name: str, days: int = 365, sans: str = DEFAULT_SANS) -> tuple[str, str]:
        """(certificate path, key path) for `name`, signed by this CA, valid `days` days."""
        cert = os.path.join(self.dir, f"{name}.crt")
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName={sans}\nbasicConstraints=CA:FALSE\n")
        _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", f"/CN={name}", cwd=self.dir)
        self._serial += 1
        _run("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
             "-set_serial", str(self._serial), "-days", str(days), "-extfile", ext,
             "-out", cert, cwd=self.dir)
        os.chmod(key, 0o600)
        return cert, key


    def issue_expired(self, name: str, sans: str = DEFAULT_SANS) -> tuple[str, str]:
        """A certificate valid only on 2020-01-01 (openssl ca: x509 cannot back-date)."""
        cert = os.path.join(self.dir, f"{name}.crt")
        key = os.path.join(self.dir, f"{name}.key")
        csr = os.path.join(self.dir, f"{name}.csr")
        conf = os.path.join(self.dir, f"{name}.cnf")
        database = os.path.join(self.dir, f"{name}.index")
        open(database, "w").close()
        self._serial += 1
        with open(os.path.join(self.dir, f"{name}.serial"), "w") as f:
            f.write(f"{self._serial:04X}\n")
        with open(conf, "w") as f:
            f.write(f"[ca]\ndefault_ca = test\n[test]\ndatabase = {database}\n"
                    f"new_certs_dir = {self.dir}\nserial = {self.dir}/{name}.serial\n"
                    "default_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n"
                    f"[ext]\nsubjectAltName = {sans}\n")
        _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key, "-out", csr, "-subj", f"/CN={name}", cwd=self.dir)
        _run("ca", "-batch", "-config", conf, "-cert", self.cert, "-keyfile", self.key,
             "-in", csr, "-out", cert, "-startdate", "20200101000000Z",
             "-enddate", "20200102000000Z", "-extensions", "ext", "-notext", cwd=self.dir)
        return cert, key


def not_after(cert: str) -> int:
    """The certificate's notAfter as Unix seconds (read with openssl, not with warden)."""
    done = subprocess.run([OPENSSL, "x509", "-noout", "-enddate", "-dateopt", "iso_8601",
                           "-in", cert], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip())
    import datetime
    text = done.stdout.strip().split("=", 1)[1]  # "2026-12-07 07:41:44Z"
    when = datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%SZ")
    return int(when.replace(tzinfo=datetime.timezone.utc).timestamp())

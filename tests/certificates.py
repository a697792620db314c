"""Self-signed certificates made at test time with the openssl command (no package needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def self_signed_certificate(folder: Path, host_name: str) -> tuple[Path, Path]:
    """(certificate, key) naming `host_name` only; the certificate is its own CA."""
    certificate, key = folder / f"{host_name}.pem", folder / f"{host_name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={host_name}",
         "-addext", f"subjectAltName=DNS:{host_name}",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True)
    return certificate, key

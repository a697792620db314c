"""Staff accounts for tests: created in the real database, signed in through the gateway."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass

import requests

from gateway.users import NewUser, create_user

PASSWORD = "kata-sandi-rahasia-123"


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    agency: str | None
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def sign_in(api: str, username: str, role: str, agency: str | None = None) -> Staff:
    response = requests.post(f"{api}/auth/login",
                             json={"username": username, "password": PASSWORD}, timeout=10)
    response.raise_for_status()
    body = response.json()
    return Staff(username, role, agency, body["access_token"], body["refresh_token"])


def make_staff(db, api: str, role: str, agency: str | None = None, city: str = "padang"
               ) -> Staff:
    username = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    create_user(db, NewUser(username=username, password=PASSWORD, role=role, city=city,
                            agency=agency))
    return sign_in(api, username, role, agency)


def make_platform_admin(api: str) -> Staff:
    """The way a platform admin comes to be: the command-line tool on the server (this
    process's environment is the test stack's)."""
    username = f"platform-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, "-m", "gateway.admin_cli", "create-platform-admin",
                    "--username", username], input=f"{PASSWORD}\n", text=True, check=True,
                   capture_output=True, timeout=60)
    return sign_in(api, username, "platform_admin")

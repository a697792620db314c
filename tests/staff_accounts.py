"""Staff accounts for tests, signed in through the gateway. As a city's IT team makes them:
the platform admin by the command-line tool on the server, then a city's sysadmin and its
staff (with their contacts) through the user API (`city_sysadmin`, `add_user`,
`staff_through_api`). `make_staff` writes a contact-less account straight into the database,
for tests about what a role may do, not about who hears what."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

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


def add_user(api: str, admin: Staff, role: str, city: str, agency: str | None = None,
             username: str | None = None, **contact: str | None) -> dict[str, Any]:
    """POST /users by `admin`; `contact`: name, email, phone, language. The user as shown."""
    body = {"username": username or f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
            "password": PASSWORD, "role": role, "city": city, "agency": agency, **contact}
    response = requests.post(f"{api}/users", json={k: v for k, v in body.items()
                                                  if v is not None},
                             headers=admin.headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def staff_through_api(api: str, admin: Staff, role: str, city: str,
                      agency: str | None = None, **contact: str | None
                      ) -> tuple[Staff, dict[str, Any]]:
    """A user added by `admin` and signed in: (their session, the user as the API shows it)."""
    user = add_user(api, admin, role, city, agency, **contact)
    return sign_in(api, user["username"], role, agency), user


def city_sysadmin(api: str, city: str) -> Staff:
    """A new sysadmin of `city`, made by a new platform admin through the API."""
    staff, _ = staff_through_api(api, make_platform_admin(api), "sysadmin", city)
    return staff


def make_platform_admin(api: str) -> Staff:
    """The way a platform admin comes to be: the command-line tool on the server (this
    process's environment is the test stack's)."""
    username = f"platform-{uuid.uuid4().hex[:8]}"
    subprocess.run([sys.executable, "-m", "gateway.admin_cli", "create-platform-admin",
                    "--username", username], input=f"{PASSWORD}\n", text=True, check=True,
                   capture_output=True, timeout=60)
    return sign_in(api, username, "platform_admin")

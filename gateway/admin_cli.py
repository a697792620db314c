"""Administration that no API may do, run on the server with the gateway's environment:

    python -m gateway.admin_cli create-platform-admin --username NAME < password-file

creates a platform admin, the one account that administers every city (a city's sysadmin
administers only its own, and no API grants this role). The password is read from stdin (its
first line), so it never appears in the process list or the shell history.
"""

from __future__ import annotations

import argparse
import sys

from aduan.contracts.base import Strict
from aduan.infra.config import Settings
from aduan.infra.db import ensure_indexes, get_db
from aduan.web.auth import PLATFORM_ADMIN
from aduan.web.errors import ApiError
from aduan.web.validation import validate
from gateway.schemas import Password, Username
from gateway.users import NewUser, create_user


class _PlatformAdminIn(Strict):
    username: Username
    password: Password


def create_platform_admin(username: str, password: str) -> str:
    """Stores the account; returns its id. Refused (ApiError) like the API refuses a user."""
    data = validate(_PlatformAdminIn, {"username": username, "password": password})
    db = get_db(Settings.from_env())
    ensure_indexes(db)  # the unique username index, on a database no service has set up yet
    user = create_user(db, NewUser(username=data.username, password=data.password,
                                   role=PLATFORM_ADMIN, city=""))
    return user["_id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.admin_cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-platform-admin",
                                 help="create an account that administers every city")
    create.add_argument("--username", required=True)
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user_id = create_platform_admin(args.username, password)
    except ApiError as err:
        print(f"refused: {err.code}: {err.message} {err.details or ''}".rstrip(),
              file=sys.stderr)
        return 1
    print(f"platform admin {args.username} created (id {user_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

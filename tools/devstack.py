"""Runs the whole platform as local processes: `make up` / `make down`, and the test suite.

Infrastructure: RabbitMQ (the machine's; started if down), secantusd-py (MongoDB protocol),
SeaweedFS `weed mini` (S3) and an SMTP sink. Then every service: gunicorn for each HTTP app,
the consumer workers and the outbox relay. Where ADUAN_MONGO_URL or ADUAN_S3_ENDPOINT is set,
that server is used instead of starting a local one (e.g. real MongoDB and MinIO).

State (pids, whether RabbitMQ was started here) lives in the run folder, so `down` stops exactly
what `up` started.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import requests

from services.notification import vapid_keys
from tools import local_broker
from tools.waits import port_open, wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

HTTP_SERVICES = {
    "gateway": "gateway.app:create_app()",
    "intake": "services.intake.app:create_app()",
    "verification": "services.verification.app:create_app()",
    "routing": "services.routing.app:create_app()",
    "notification": "services.notification.app:create_app()",
    "lapor": "services.lapor.app:create_app()",
    "channels": "services.channels.app:create_app()",
}
WORKERS = {
    "verification-worker": ("verification", "services.verification.worker"),
    "routing-worker": ("routing", "services.routing.worker"),
    "routing-sweep": ("routing", "services.routing.sweep"),
    "notification-worker": ("notification", "services.notification.worker"),
    "webhook-dispatcher": ("notification", "services.notification.dispatcher"),
    "outbox-relay": ("intake", "aduan.infra.outbox"),
    "lapor-worker": ("lapor", "services.lapor.exporter"),
}
# Jobs that act at a time of day, not on messages: (service, module, arguments). `make up` runs
# them as loops; a test stack does not (a digest arriving mid-test would be one more email to
# the leaders the notification tests count: tests run the job's command themselves). Compose
# runs the same loop; Kubernetes runs the job as a CronJob per city (deploy/k8s/digest.yaml).
SCHEDULED = {
    "notification-digest": ("notification", "services.notification.digest", ("--loop",)),
    "lapor-import": ("lapor", "services.lapor.importer", ("--loop",)),
}


@dataclass(frozen=True)
class Profile:
    name: str
    namespace: str
    http_ports: dict[str, int]
    mongo_port: int
    smtp_port: int
    weed_ports: dict[str, int]
    # Test stacks start empty every time (database, objects, mail), but keep their data across
    # a restart of a server inside the run, as fault tests need.
    throwaway_data: bool
    s3_access_key: str = "aduan"
    s3_secret_key: str = "aduan-dev-secret"  # local throwaway servers only
    # The gateway's internal listener: /metrics and readiness details, never on the public port.
    internal_ports: dict[str, int] = field(default_factory=dict)
    # Whether `up` starts the SCHEDULED jobs' loops.
    scheduled: bool = False

    @property
    def s3_port(self) -> int:
        return self.weed_ports["s3"]

    def metrics_port(self, service: str) -> int:
        """Where Prometheus scrapes an HTTP service."""
        return self.internal_ports.get(service, self.http_ports[service])


DEV = Profile(
    name="dev",
    namespace="aduan",
    http_ports={"gateway": 8080, "intake": 8081, "verification": 8082, "routing": 8083,
                "notification": 8084, "lapor": 8085, "channels": 8086},
    mongo_port=27017,
    smtp_port=1025,
    weed_ports={"s3": 8333, "s3.port.grpc": 18333, "master.port": 9333,
                "master.port.grpc": 19333, "volume.port": 9340, "volume.port.grpc": 19340,
                "filer.port": 8888, "filer.port.grpc": 18888, "admin.port": 23646,
                "admin.port.grpc": 33646},
    throwaway_data=False,
    internal_ports={"gateway": 9180},
    scheduled=True,
)
TEST = Profile(
    name="test",
    namespace="aduantest",
    http_ports={"gateway": 18080, "intake": 18081, "verification": 18082, "routing": 18083,
                "notification": 18084, "lapor": 18085, "channels": 18086},
    mongo_port=27117,
    smtp_port=11025,
    weed_ports={"s3": 18433, "s3.port.grpc": 28433, "master.port": 19433,
                "master.port.grpc": 29433, "volume.port": 19440, "volume.port.grpc": 29440,
                "filer.port": 18988, "filer.port.grpc": 28988, "admin.port": 23746,
                "admin.port.grpc": 33746},
    throwaway_data=True,
    # Ends in 9, unlike every other port of this profile: no slot's shift lands on another's.
    internal_ports={"gateway": 19189},
)
PROFILES = {"dev": DEV, "test": TEST}
LOCAL_SECRETS = ("JWT_SECRET", "TOKEN_SECRET", "DELIVERY_HASH_SECRET")
# Web Push's key pair (services/notification/vapid_keys.py), generated with the secrets.
LOCAL_VAPID = ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY")


def http_service_argv(service: str, *ports: int, name: str | None = None) -> list[str]:
    """The command that runs an HTTP service under gunicorn, listening on each of `ports`
    on this machine (as compose and Kubernetes run it, bound to their own addresses)."""
    binds = [arg for port in ports for arg in ("-b", f"127.0.0.1:{port}")]
    return [sys.executable, "-m", "gunicorn", "-c", "python:aduan.infra.gunicorn_conf", *binds,
            "--name", name or f"aduan-{service}", HTTP_SERVICES[service]]


def local_secrets(run_root: Path = ROOT / ".run") -> dict[str, str]:
    """This checkout's own keys for the local stacks, generated once and kept in
    `.run/secrets.json` (never committed): no local stack runs with a key the repository
    ships, and restarting one keeps reporters' tokens valid. A key added in a later version is
    generated beside the kept ones."""
    path = run_root / "secrets.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    if all(name in kept for name in (*LOCAL_SECRETS, *LOCAL_VAPID)):
        return kept
    run_root.mkdir(parents=True, exist_ok=True)
    generated = {**{name: secrets.token_hex(32) for name in LOCAL_SECRETS},
                 **dict(zip(LOCAL_VAPID, vapid_keys.generate(), strict=True)), **kept}
    draft = run_root / f"secrets.json.{os.getpid()}"
    draft.write_text(json.dumps(generated))
    draft.chmod(0o600)
    if kept:
        draft.replace(path)
    else:
        # Linking the whole file into place fails if another run got there first: both then
        # use the keys that were there first, never half-written ones.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return json.loads(path.read_text())


def test_profile(slot: int) -> Profile:
    """The test profile shifted to its own ports and queue namespace, so several test runs
    (e.g. in separate work trees) can share one machine and one broker."""
    if slot == 0:
        return TEST
    shift = 10 * slot
    return replace(
        TEST,
        name=f"test{slot}",
        namespace=f"aduantest{slot}",
        http_ports={k: v + shift for k, v in TEST.http_ports.items()},
        mongo_port=TEST.mongo_port + shift,
        smtp_port=TEST.smtp_port + shift,
        weed_ports={k: v + shift for k, v in TEST.weed_ports.items()},
        internal_ports={k: v + shift for k, v in TEST.internal_ports.items()},
    )


@dataclass
class Stack:
    profile: Profile
    run_dir: Path
    worker_copies: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # ADUAN_* settings given from outside when the stack was made (e.g. a real MongoDB's URL);
    # read once, so exporting this stack's own env() later does not make its servers "external".
    overrides: dict[str, str] = field(
        default_factory=lambda: {k.removeprefix("ADUAN_"): v for k, v in os.environ.items()
                                 if k.startswith("ADUAN_")}
    )

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def maildir(self) -> Path:
        return self.run_dir / "mail"

    def _external(self, name: str) -> str | None:
        return self.overrides.get(name)

    def env(self) -> dict[str, str]:
        """ADUAN_* settings every service of this stack (and the tests) use."""
        p = self.profile
        http = {f"{name.upper()}_URL": f"http://127.0.0.1:{port}"
                for name, port in p.http_ports.items() if name != "gateway"}
        values = {
            # SecantusDB keeps every retryable write's id and prunes that list on each write,
            # so with retryable writes on it slows down the longer it runs; our writes are
            # idempotent without them. A real MongoDB keeps the driver's default.
            "MONGO_URL": self._external("MONGO_URL")
            or f"mongodb://127.0.0.1:{p.mongo_port}/?retryWrites=false",
            "MONGO_DB": self._external("MONGO_DB") or f"aduan_{p.name}",
            "AMQP_URL": self._external("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F",
            "NAMESPACE": p.namespace,
            "S3_ENDPOINT": self._external("S3_ENDPOINT") or f"127.0.0.1:{p.s3_port}",
            "S3_ACCESS_KEY": self._external("S3_ACCESS_KEY") or p.s3_access_key,
            "S3_SECRET_KEY": self._external("S3_SECRET_KEY") or p.s3_secret_key,
            "S3_RAW_BUCKET": self._external("S3_RAW_BUCKET") or f"aduan-{p.name}-raw",
            "S3_PUBLIC_BUCKET": self._external("S3_PUBLIC_BUCKET") or f"aduan-{p.name}-public",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(p.smtp_port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{p.http_ports['gateway']}",
            **local_secrets(),
            **http,
        }
        if p.name.startswith("test"):
            values["RETRY_DELAYS_MS"] = "200,400,800"
            values["MAX_ATTEMPTS"] = "3"
            values["OUTBOX_RELAY_AFTER_S"] = "1"
            # Tests submit far faster than a person; limits are tested per API key instead.
            for limit in ("RATE_LIMIT_PER_IP", "SUBMIT_LIMIT_PER_IP", "LOGIN_LIMIT_PER_IP",
                          "RECOVERY_LIMIT_PER_IP"):
                values[limit] = "1000000"
            # Every test's resumable uploads come from this machine's one address; the cap is
            # tested on an intake started with a small one (tests/integration/
            # test_resumable_uploads.py).
            values["UPLOADS_OPEN_PER_IP"] = "1000000"
            values["WEBHOOK_RETRY_DELAYS_MS"] = "200,400,800"
            values["WEBHOOK_MAX_ATTEMPTS"] = "5"
            values["WEBHOOK_POLL_INTERVAL_S"] = "0.2"
            values["WEBHOOK_TIMEOUT_S"] = "2"
            values["WEBHOOK_CONCURRENCY"] = "2"
            values["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
            # The suite's receivers listen on 127.0.0.1; "localhost" stays uncovered, so the
            # rule against private addresses is still at work in this stack.
            values["WEBHOOK_PRIVATE_HOSTS"] = "127.0.0.1"
            # The suite's image server for Open311 media_url, under that spelling only, too.
            values["MEDIA_URL_PRIVATE_HOSTS"] = "127.0.0.1"
            values["MEDIA_URL_TIMEOUT_S"] = "2"
            # Web Push goes to the suite's push double (tests/push_double.py) only, over http.
            values["PUSH_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
            values["PUSH_PRIVATE_HOSTS"] = "127.0.0.1"
            values["PUSH_TIMEOUT_S"] = "2"
            # A delivery claimed by a killed worker is taken over quickly in fault tests.
            values["DELIVERY_LEASE_S"] = "0.5"  # shorter than the retry ladder above
            values["SLA_SWEEP_INTERVAL_S"] = "0.5"
            values["REVOCATION_REFRESH_S"] = "1"
            # The public scorecard answers from its figures as they are now, not from a copy.
            values["SCORECARD_CACHE_S"] = "0"
        return {f"ADUAN_{k}": v for k, v in {**values, **self.overrides}.items()}

    # ---- processes -------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None
               ) -> subprocess.Popen:
        logs = self.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("ADUAN_")}
        env = {**inherited, **self.env(), **(extra_env or {})}
        env["PYTHONPATH"] = str(ROOT)
        with open(logs / f"{name}.log", "ab") as log_file:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self.processes[name] = process
        self._save_state()
        return process

    def _save_state(self, **extra: object) -> None:
        def change(state: dict) -> None:
            # Merged, not replaced: the supervisor (tools/supervisor.py) records the processes
            # it restarts in the same file.
            state["processes"] = {**state.get("processes", {}),
                                  **{n: p.pid for n, p in self.processes.items()}}
            state.update(extra)

        self.update_state(change)

    def update_state(self, change: Callable[[dict], object]) -> None:
        """Reads the state file, applies `change` and writes it back whole, so that another
        process (the supervisor, `make status`) never reads it half-written."""
        state = self.read_state()
        change(state)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        draft = self.state_file.with_name(f"{self.state_file.name}.{os.getpid()}")
        draft.write_text(json.dumps(state))
        os.replace(draft, self.state_file)

    def recorded_processes(self) -> dict[str, int]:
        """Every process of this stack by name, with its pid, as the state file has it."""
        return dict(self.read_state().get("processes", {}))

    def read_state(self) -> dict:
        """The state file as a dict ({} when the stack is down): the one reader of it, for the
        stack, the supervisor and `make status`. Keys: processes (name -> pid), supervisor
        (pid), restarts (name -> count), rabbitmq_started."""
        if self.state_file.exists():
            return json.loads(self.state_file.read_text())
        return {}

    def _metrics_dir(self, service: str) -> str:
        folder = self.run_dir / "metrics" / service
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)

    def start_http(self, service: str) -> None:
        ports = [self.profile.http_ports[service]]
        extra_env = {"PROMETHEUS_MULTIPROC_DIR": self._metrics_dir(service)}
        internal = self.profile.internal_ports.get(service)
        if internal:
            ports.append(internal)
            extra_env["ADUAN_INTERNAL_PORT"] = str(internal)
        self._spawn(service, http_service_argv(service, *ports), extra_env)

    def start_worker(self, name: str, copy: int = 0) -> str:
        service, module = WORKERS[name]
        process_name = f"{name}-{copy}"
        self._spawn(process_name, [sys.executable, "-m", module],
                    {"PROMETHEUS_MULTIPROC_DIR": self._metrics_dir(service)})
        return process_name

    def start_scheduled(self, name: str) -> str:
        _, module, arguments = SCHEDULED[name]
        self._spawn(name, [sys.executable, "-m", module, *arguments])
        return name

    def stop_process(self, name: str, sig: int = signal.SIGTERM, timeout_s: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        _signal_group(process.pid, sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        self.update_state(lambda state: state.get("processes", {}).pop(name, None))

    # ---- infrastructure --------------------------------------------------------------------

    def ensure_rabbitmq(self) -> None:
        """The machine's broker, answering (started, or restarted when wedged:
        tools/local_broker.py). `make down` stops it again only when `make up` started it; a
        test or bench stack never does (other runs may be using it). A broker the stack is
        pointed at (AMQP_URL) is someone else's: only its port is waited for."""
        url = self.env()["ADUAN_AMQP_URL"]
        if self._external("AMQP_URL"):
            host, port = local_broker.address(url)
            wait_until(lambda: port_open(host, port), 60, f"RabbitMQ at {host}:{port}")
            return
        if local_broker.ensure_answering(url) and not self.profile.throwaway_data:
            self._save_state(rabbitmq_started=True)

    def start_mongo(self) -> None:
        if self._external("MONGO_URL"):
            return
        self._spawn("mongo", [str(BIN / "secantusd-py"), "--host", "127.0.0.1",
                              "--port", str(self.profile.mongo_port),
                              "--storage-path", str(self.run_dir / "mongo"),
                              "--log-level", "WARNING"])

    def start_s3(self) -> None:
        if self._external("S3_ENDPOINT"):
            return
        p = self.profile
        config = self.run_dir / "s3-identities.json"
        config.write_text(json.dumps({"identities": [{
            "name": "aduan",
            "credentials": [{"accessKey": p.s3_access_key, "secretKey": p.s3_secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}))
        ports = [f"-{flag}={port}" for flag, port in p.weed_ports.items() if flag != "s3"]
        self._spawn("s3", [
            str(BIN / "weed"), "mini", f"-dir={self.run_dir / 'weed'}", "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1", f"-s3.port={p.s3_port}", f"-s3.config={config}",
            "-webdav=false", "-admin.ui=false", "-master.telemetry=false",
            "-s3.port.iceberg=0", "-s3.port.lance=0", *ports,
        ])

    def start_smtp(self) -> None:
        self._spawn("smtp", [sys.executable, "-m", "tools.devsmtp", "--port",
                             str(self.profile.smtp_port), "--maildir", str(self.maildir)])

    def wait_infrastructure(self) -> None:
        p = self.profile
        if not self._external("MONGO_URL"):
            wait_until(lambda: port_open("127.0.0.1", p.mongo_port), 60, "MongoDB server")
        if not self._external("S3_ENDPOINT"):
            wait_until(lambda: port_open("127.0.0.1", p.s3_port), 60, "S3 server")
        wait_until(lambda: port_open("127.0.0.1", p.smtp_port), 30, "SMTP sink")

    def wait_services(self, timeout_s: float = 90) -> None:
        for service, port in self.profile.http_ports.items():
            wait_until(lambda port=port: _ready(port), timeout_s, f"{service} service")

    # ---- whole stack -----------------------------------------------------------------------

    def clear_data(self) -> None:
        """Removes what the local servers stored (database, objects, mail); run while they
        are stopped."""
        for folder in ("mongo", "weed", "mail"):
            shutil.rmtree(self.run_dir / folder, ignore_errors=True)

    def up(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.run_dir / "metrics", ignore_errors=True)
        if self.profile.throwaway_data:
            self.clear_data()
        self.ensure_rabbitmq()
        self.start_mongo()
        self.start_s3()
        self.start_smtp()
        self.wait_infrastructure()
        for service in HTTP_SERVICES:
            self.start_http(service)
        for name in WORKERS:
            for copy in range(self.worker_copies.get(name, 1)):
                self.start_worker(name, copy)
        if self.profile.scheduled:
            for name in SCHEDULED:
                self.start_scheduled(name)
        self.wait_services()

    def down(self) -> None:
        # The supervisor first, so that it restarts nothing that is being stopped.
        supervisor = self.read_state().get("supervisor")
        if supervisor:
            _signal_group(supervisor, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                wait_until(lambda: not _alive(supervisor), 10, "the supervisor to stop")
            _signal_group(supervisor, signal.SIGKILL)
        state = self.read_state()
        pids = state.get("processes", {})
        for pid in pids.values():
            _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for pid in pids.values():
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.processes.clear()
        if state.get("rabbitmq_started"):
            subprocess.run(["rabbitmqctl", "stop"], check=False, capture_output=True)
        self.state_file.unlink(missing_ok=True)


class PrivateBroker:
    """A RabbitMQ node of its own (own node name, port, data folder), for tests that restart
    the broker without disturbing anything else that uses the machine's RabbitMQ."""

    def __init__(self, name: str, port: int, folder: Path) -> None:
        self.node = f"{name}@localhost"
        self.port = port
        self.folder = folder

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def env(self) -> dict[str, str]:
        return {**os.environ,
                "RABBITMQ_NODENAME": self.node,
                "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
                "RABBITMQ_DIST_PORT": str(self.port + 20000),
                "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.folder / "log"),
                "RABBITMQ_PID_FILE": str(self.folder / "pid"),
                "RABBITMQ_FEATURE_FLAGS_FILE": str(self.folder / "feature_flags"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins")}

    def start(self, fresh: bool = False) -> None:
        if fresh:
            self.stop()
            shutil.rmtree(self.folder, ignore_errors=True)
        if not self.folder.exists():
            self.folder.mkdir(parents=True)
            # The server drops to the rabbitmq user: it must be able to write here.
            self.folder.chmod(0o777)
            (self.folder / "enabled_plugins").write_text("[].\n")
            (self.folder / "rabbitmq.conf").write_text(
                f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users.guest = true\n")
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env(), check=True,
                       capture_output=True)
        wait_until(lambda: port_open("127.0.0.1", self.port), 120, f"RabbitMQ node {self.node}")

    def stop(self) -> None:
        subprocess.run(["rabbitmqctl", "-n", self.node, "stop"], env=self.env(), check=False,
                       capture_output=True)
        wait_until(lambda: not port_open("127.0.0.1", self.port), 60, f"{self.node} to stop")


def _ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Aduan locally.")
    parser.add_argument("command", choices=["up", "down", "env", "status"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="dev")
    parser.add_argument("--no-supervise", action="store_true",
                        help="leave crashed processes down (no supervisor)")
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    stack = Stack(profile, ROOT / ".run" / profile.name)
    if args.command == "env":
        for key, value in stack.env().items():
            print(f"{key}={value}")
    elif args.command == "up":
        if stack.state_file.exists():
            stack.down()  # a stale or running stack of this profile: restart cleanly
        try:
            stack.up()
        except Exception:
            stack.down()
            raise
        gateway = f"http://127.0.0.1:{profile.http_ports['gateway']}"
        internal = f"http://127.0.0.1:{profile.metrics_port('gateway')}"
        print(f"Aduan is up. Gateway: {gateway}/api/v1  (health: {gateway}/healthz; "
              f"metrics and readiness details on the internal port: {internal}/metrics)")
        for service, port in profile.http_ports.items():
            print(f"  {service:<13} http://127.0.0.1:{port}")
        print(f"  S3            http://127.0.0.1:{profile.s3_port}")
        print(f"  MongoDB       mongodb://127.0.0.1:{profile.mongo_port}")
        print(f"  mail sink     {stack.maildir}")
        print(f"  logs          {stack.run_dir / 'logs'}")
        if not args.no_supervise:
            from tools import supervisor  # it imports this module

            pid = supervisor.launch(stack)
            print(f"  supervisor    pid {pid}: restarts a crashed process (make status)")
    elif args.command == "status":
        from tools import supervisor

        print("\n".join(supervisor.status_lines(stack)))
    else:
        stack.down()
        print("Aduan is down.")


if __name__ == "__main__":
    main()

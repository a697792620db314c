"""The machine's RabbitMQ for `make up` and the test suite: started when it is down, and
restarted when it accepts TCP connections but no longer completes an AMQP handshake.

That second state was seen here (a whole CI run failed against it). A node at its socket limit
(832 sockets with 1,024 open files, the limit `su` gives the rabbitmq user unless
/etc/security/limits.d says more, as `make bootstrap` makes it) looks like that, and so does a
hung one. A node that does not stop when asked is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pika
import pika.exceptions
from pika.adapters.utils.connection_workflow import (
    AMQPConnectorException,
    AMQPConnectorStackTimeout,
)

from tools.waits import port_open, wait_until

HANDSHAKE_TIMEOUT_S = 15.0


class BrokerRefused(RuntimeError):
    """The broker answered but refused (credentials, virtual host, permissions, protocol): no
    restart mends that."""


def handshake_problem(amqp_url: str, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> str | None:
    """None when the broker at `amqp_url` completes an AMQP handshake within `timeout_s`;
    what timed out when it does not answer in time. A broker that answers with a refusal
    raises BrokerRefused."""
    params = pika.URLParameters(amqp_url)
    params.connection_attempts = 1
    params.socket_timeout = min(5.0, timeout_s)
    params.stack_timeout = timeout_s
    try:
        connection = pika.BlockingConnection(params)
    except (AMQPConnectorStackTimeout, TimeoutError) as err:
        return f"no handshake within {timeout_s:.0f}s ({type(err).__name__})"
    except (pika.exceptions.AMQPError, AMQPConnectorException, OSError) as err:
        raise BrokerRefused(f"RabbitMQ at {_safe(amqp_url)} refused the connection: "
                            f"{type(err).__name__}: {err}") from err
    with contextlib.suppress(pika.exceptions.AMQPError, OSError):
        connection.close()
    return None


def ensure_answering(amqp_url: str, env: dict[str, str] | None = None, log=print,
                     handshake_timeout_s: float = HANDSHAKE_TIMEOUT_S) -> bool:
    """Makes the local RabbitMQ at `amqp_url` answer AMQP: starts it when its port is closed,
    restarts it when the port is open but the handshake times out. `env`: the environment of
    rabbitmq-server and rabbitmqctl (RABBITMQ_NODENAME and the rest for a node of its own;
    None: the machine's node). True when it was started here (a broker that was down), False
    when it was running already (restarted or not: it belongs to the machine and stays up
    after `make down`)."""
    host, port = address(amqp_url)
    local = host in ("127.0.0.1", "localhost")
    if port_open(host, port):
        problem = handshake_problem(amqp_url, handshake_timeout_s)
        if problem is None:
            return False
        if not local or shutil.which("rabbitmqctl") is None:
            raise RuntimeError(f"RabbitMQ at {host}:{port} takes TCP connections but no AMQP "
                               f"handshake: {problem}")
        log(f"RabbitMQ at {host}:{port} takes TCP connections but no AMQP handshake "
            f"({problem}); restarting it")
        _stop(port, env, log)
        _start(amqp_url, env)
        return False
    if not local:
        raise RuntimeError(f"RabbitMQ at {host}:{port} is not reachable")
    _start(amqp_url, env)
    return True


def _start(amqp_url: str, env: dict[str, str] | None) -> None:
    if shutil.which("rabbitmq-server") is None:
        raise RuntimeError("rabbitmq-server is not installed: run `make bootstrap`")
    subprocess.run(["rabbitmq-server", "-detached"], env=env, check=True)
    host, port = address(amqp_url)
    problems = ["its port is closed"]

    def answering() -> bool:
        if not port_open(host, port):
            return False
        try:
            problem = handshake_problem(amqp_url, timeout_s=10)
        except BrokerRefused as refused:  # a node still booting may close connections
            problem = str(refused)
        problems.append(problem or "")
        return problem is None

    try:
        wait_until(answering, 180, f"RabbitMQ at {host}:{port}", every_s=1)
    except TimeoutError as err:
        raise TimeoutError(f"{err}: {problems[-1]}") from None


def _stop(port: int, env: dict[str, str] | None, log) -> None:
    """Stops the node with rabbitmqctl; a node too wedged to answer it is killed, once it is
    sure to be a RabbitMQ node (not, say, a tunnel to another machine's broker)."""
    try:
        stopped = subprocess.run(["rabbitmqctl", "stop"], env=env, capture_output=True,
                                 timeout=20).returncode == 0
    except subprocess.TimeoutExpired:
        stopped = False
    if _closes(port, 30 if stopped else 5):
        return
    pid = listening_pid(port)
    if pid is None or not is_rabbitmq_node(pid):
        raise RuntimeError(f"port {port} did not close when RabbitMQ was stopped, and what "
                           f"listens there ({_command_line(pid)}) is not a RabbitMQ node to kill")
    log(f"RabbitMQ did not stop; killing process {pid}")
    os.kill(pid, signal.SIGKILL)
    _closes(port, 30)


def _closes(port: int, timeout_s: float) -> bool:
    """Whether the local `port` closes within `timeout_s`."""
    try:
        wait_until(lambda: not port_open("127.0.0.1", port), timeout_s, f"port {port} to close",
                   every_s=0.5)
    except TimeoutError:
        return False
    return True


def _command_line(pid: int | None) -> str:
    if pid is None:
        return "a process not ours to see"
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return f"process {pid}"


def is_rabbitmq_node(pid: int) -> bool:
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return name == "beam.smp" and b"rabbit" in command


def listening_pid(port: int) -> int | None:
    """The process listening on TCP `port` (Linux: /proc), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return int(proc.name)
    return None


def address(amqp_url: str) -> tuple[str, int]:
    params = pika.URLParameters(amqp_url)
    return params.host or "127.0.0.1", params.port or 5672


def _safe(amqp_url: str) -> str:
    params = pika.URLParameters(amqp_url)
    return f"amqp://{params.host}:{params.port}"

"""The product as deployed: the Procfile's own processes, production settings, nginx with TLS in front.

The session fixture ``deployment`` brings up, once per test run, everything on loopback ports chosen free:

- its own PostgreSQL database (created on the machine's server, next to TEST_DATABASE_URL's) and its own
  ``redis-server`` (never the machine's shared Redis, so drills may stop or flush it);
- the outside world: an SMTP server that requires STARTTLS (aiosmtpd, self-signed certificate trusted through
  SMTP_CA_FILE), the local PayHero (tests/payments/fake_payhero.py, in a thread), the local Africa's Talking
  (tests/sms/fake_africastalking.py, in a thread; its delivery reports are posted back through nginx) and
  moto's S3 server;
- the Procfile: ``release`` is run once, then every other process (web = gunicorn, worker, and whatever is
  added later, such as a scheduler) is started from the Procfile's own command line, with MWANZO_ENV=production;
- nginx (Debian's /usr/sbin/nginx, not daemonised, config written into the run's temp folder) terminating TLS
  with a self-signed certificate and proxying to gunicorn (TRUSTED_PROXIES=1), so cookies stay Secure.

Adding a scenario:

1. Write ``tests/deployed/test_<scenario>.py``; take the ``deployment`` fixture and ``browser_session`` (a
   requests.Session that trusts the run's certificate; ``form_post`` sends a form with its CSRF token).
2. Drive the product over HTTPS at ``deployment.url``. Seed or inspect rows inside
   ``with deployment.app_context():`` (an app bound to the deployed database; the factories work there).
3. The outside world: ``deployment.inbox`` (emails received, ``deployment.wait_for_email``),
   ``deployment.payhero`` (answer a payment prompt), ``deployment.africastalking`` (texts sent, ``.sent()``),
   ``deployment.s3`` (a boto3 client of the bucket).
4. Processes are ``deployment.processes[name]`` (Popen) with their output in ``deployment.log(name)``;
   ``deployment.restart(name)`` stops and starts one with the settings it had (fault drills). Settings every
   process gets are in ``environment``; gunicorn binds to 127.0.0.1 (BIND).
   Two nodes: the ``nodes`` fixture adds a second gunicorn (process ``web-b``) to nginx's upstream and gives
   the URLs that reach only node A and only node B, to prove what one node started the other sees.
5. After each test, every RQ job must have succeeded: a job in the failed or retry registry fails the test,
   and so does a Procfile process that died. A job whose worker ``deployment.kill`` killed is waited for
   through its retry and judged by how that ends.
6. Fault drills build a deployment of their own: ``deploy(folder, database_url)`` on a
   ``PostgresCluster`` the run owns (restartable), with ``stop_redis``/``start_redis`` for the run's Redis.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from mwanzo.jobs import RETRY_INTERVALS

from tests.conftest import fresh_postgres_database, unavailable
from tests.payments.fake_payhero import FakePayHero
from tests.sms.fake_africastalking import FakeAfricasTalking
from tests.servers import Inbox, free_port, self_signed_certificate, start_smtp

ROOT = Path(__file__).resolve().parents[2]
FIRST_RETRY_SECONDS = RETRY_INTERVALS[0] + 5  # a job's first retry, and the worker's time to pick it up
NGINX = "/usr/sbin/nginx"
BIN = Path(sys.executable).parent
BUCKET = "mwanzo-deployed-media"
CALLBACK_TOKEN = secrets.token_urlsafe(24)
METRICS_TOKEN = secrets.token_urlsafe(24)
SMS_CALLBACK_TOKEN = secrets.token_urlsafe(24)

NGINX_CONF = """\
{user}worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {run}/nginx-access.log;
  client_body_temp_path {run}/nginx-body;
  proxy_temp_path {run}/nginx-proxy;
  fastcgi_temp_path {run}/nginx-fastcgi;
  uwsgi_temp_path {run}/nginx-uwsgi;
  scgi_temp_path {run}/nginx-scgi;
  client_max_body_size 64m;
  upstream web {{ {upstream} }}
  map $server_port $node {{ default web; {node_map} }}
  server {{
    listen 127.0.0.1:{port} ssl;{node_listen}
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://$node;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Request-ID $request_id;
    }}
  }}
}}
"""


def procfile() -> dict[str, str]:
    """The Procfile's processes, name → command line, in file order."""
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def wait_until(check, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, parents first (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
    tree = [pid]
    for parent in tree:
        tree += children.get(parent, [])
    return tree


class Deployment:
    def __init__(self, run: Path, database_url: str):
        self.run = run
        self.database_url = database_url
        self.killed_workers: set[str] = set()
        self.processes: dict[str, subprocess.Popen] = {}
        self.services: list[subprocess.Popen] = []
        self.certificate = self_signed_certificate(run / "tls")
        self.ca_file = str(self.certificate[0])
        self.port, self.web_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.metrics_token = METRICS_TOKEN
        self.inbox = Inbox()
        self.payhero = FakePayHero(ca_file=self.ca_file)
        self.africastalking = FakeAfricasTalking()
        self.environment: dict[str, str] = {}
        self.started: dict[str, tuple[str, dict | None]] = {}  # process name → (Procfile entry, extra env)
        self.web_ports = {"web": self.web_port}  # gunicorn nodes in nginx's upstream, process name → port
        self.node_ports: dict[str, int] = {}  # process name → nginx port that proxies to that node only
        self._seed_app = None

    # ---- services the processes need
    def start_service(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.run / f"{name}.log").open("ab")
        process = subprocess.Popen(command, cwd=self.run, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.services.append(process)
        return process

    def start_outside_world(self) -> None:
        self.redis_port, s3_port = free_port(), free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.start_redis()
        self.start_service("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)])
        self.smtp = start_smtp(self.inbox, self.certificate)
        self.payhero.start()
        self.africastalking.start()
        self.s3_endpoint = f"http://127.0.0.1:{s3_port}"
        import boto3

        self.s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
        wait_until(lambda: self.s3.create_bucket(Bucket=BUCKET), 30, "moto's S3 server")
        metrics_dir = self.run / "prometheus"
        metrics_dir.mkdir()
        self.environment = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(self.run), "LANG": "C.UTF-8",
            "MWANZO_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48), "LOG_FORMAT": "json",
            "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "PORT": str(self.web_port),
            "BIND": "127.0.0.1", "PUBLIC_BASE_URL": self.url, "TRUSTED_PROXIES": "1",
            "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port),
            "SMTP_STARTTLS": "true", "SMTP_CA_FILE": self.ca_file,
            "PAYMENT_PROVIDER": "payhero", "PAYHERO_BASE_URL": self.payhero.url, "PAYHERO_API_USERNAME": "api-user",
            "PAYHERO_API_PASSWORD": "api-pass", "PAYHERO_CHANNEL_ID": "911", "PAYMENT_CALLBACK_TOKEN": CALLBACK_TOKEN,
            "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "SMS_PROVIDER": "africastalking", "AT_USERNAME": self.africastalking.username,
            "AT_API_KEY": self.africastalking.api_key, "AT_SENDER_ID": "MWANZO", "AT_BASE_URL": self.africastalking.url,
            "SMS_CALLBACK_TOKEN": SMS_CALLBACK_TOKEN,
            "METRICS_TOKEN": self.metrics_token, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            # Short enough for a timed-out push to be seen in seconds; the weekly report due all week.
            "PAYHERO_TIMEOUT_SECONDS": "3", "WEEKLY_REPORT_WEEKDAY": "0", "WEEKLY_REPORT_HOUR_UTC": "0",
        }

    def start_redis(self) -> None:
        from redis import Redis

        self.redis_server = self.start_service("redis", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.run)])
        self.redis = Redis.from_url(self.redis_url)
        wait_until(self.redis.ping, 20, "redis-server")

    def stop_redis(self) -> None:
        """A real stop (the server exits and loses what it held); start_redis brings it back on the same port."""
        self.stop(self.redis_server)
        self.services.remove(self.redis_server)

    # ---- the Procfile
    def start(self, name: str, extra_env: dict[str, str] | None = None, label: str | None = None) -> subprocess.Popen:
        """Runs the Procfile's entry ``name``; ``label`` names the process (and its log) when an entry runs twice."""
        label = label or name
        log = (self.run / f"{label}.log").open("ab")
        process = subprocess.Popen(["bash", "-c", "exec " + procfile()[name]], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT, env={**self.environment, **(extra_env or {})},
                                   start_new_session=True)
        self.processes[label], self.started[label] = process, (name, extra_env)
        return process

    def release(self) -> None:
        result = subprocess.run(["bash", "-c", procfile()["release"]], cwd=ROOT, env=self.environment,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"release failed:\n{result.stdout}\n{result.stderr}"

    def nginx_conf(self) -> str:
        # Started as root, nginx's workers would run as nobody, who cannot write into this run's folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        direct = {listen: self.web_ports[name] for name, listen in self.node_ports.items()}
        return NGINX_CONF.format(
            user=user, run=self.run, port=self.port, cert=self.certificate[0], key=self.certificate[1],
            upstream=" ".join(f"server 127.0.0.1:{port};" for port in self.web_ports.values()),
            node_map=" ".join(f"{listen} 127.0.0.1:{port};" for listen, port in direct.items()),
            node_listen="".join(f"\n    listen 127.0.0.1:{listen} ssl;" for listen in direct))

    def start_nginx(self) -> None:
        conf = self.run / "nginx.conf"
        conf.write_text(self.nginx_conf())
        self.nginx = self.start_service("nginx", [NGINX, "-p", str(self.run), "-c", str(conf),
                                                  "-e", str(self.run / "nginx-error.log")])

    def add_web_node(self) -> tuple[str, str]:
        """A second node: the Procfile's web again as process ``web-b`` (own port and metrics folder, as on
        another machine; the same database, Redis, bucket and SECRET_KEY), put in nginx's upstream next to
        ``web``. nginx also gets one more port per node that proxies to that node only, with the same TLS and
        headers. Returns the URLs that reach only node A (``web``) and only node B (``web-b``)."""
        if "web-b" not in self.processes:
            port, metrics = free_port(), self.run / "prometheus-b"
            metrics.mkdir()
            self.start("web", {"PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, label="web-b")
            self.web_ports["web-b"] = port
            self.node_ports = {name: free_port() for name in self.web_ports}
            (self.run / "nginx.conf").write_text(self.nginx_conf())
            self.nginx.send_signal(signal.SIGHUP)  # reload: new upstream and ports, open connections kept
        node_a, node_b = (f"https://127.0.0.1:{listen}" for listen in self.node_ports.values())
        try:
            wait_until(lambda: all(requests.get(f"{url}/healthz", verify=self.ca_file, timeout=5).ok
                                   for url in (node_a, node_b)), 90, "both web nodes behind nginx")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs_tail()}") from None
        return node_a, node_b

    def start_all(self) -> None:
        self.start_outside_world()
        self.release()
        for name in procfile():
            if name != "release":
                self.start(name)
        self.start_nginx()
        self.wait_ready()

    def wait_ready(self) -> None:
        from rq import Worker

        try:
            wait_until(lambda: requests.get(f"{self.url}/healthz", verify=self.ca_file, timeout=5).ok, 90,
                       "the web process behind nginx")
            if "worker" in self.processes:
                wait_until(lambda: Worker.all(connection=self.redis), 60, "the RQ worker to register")
            self.assert_running()
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.logs_tail()}") from None

    def assert_running(self) -> None:
        dead = {name: process.returncode for name, process in self.processes.items() if process.poll() is not None}
        assert not dead, f"Procfile processes exited: {dead}\n{self.logs_tail()}"

    def kill(self, name: str) -> None:
        """SIGKILL a Procfile process with its children (a crash, an OOM kill, a deploy's grace period running
        out). The jobs its RQ workers were running are abandoned: wait_for_jobs waits for their retry."""
        from rq import Worker

        process = self.processes[name]
        self.killed_workers |= {w.name for w in Worker.all(connection=self.redis) if w.pid == process.pid}
        for pid in process_tree(process.pid):  # RQ's work horse runs in a process group of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()

    def restart(self, name: str) -> subprocess.Popen:
        self.stop(self.processes.pop(name))
        entry, extra_env = self.started[name]
        return self.start(entry, extra_env, label=name)

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for process in [*self.processes.values(), *reversed(self.services)]:
            self.stop(process)
        self.smtp.stop()
        self.payhero.stop()
        self.africastalking.stop()
        if self._seed_app is not None:
            with self._seed_app.app_context():
                from mwanzo.extensions import db

                db.engine.dispose()

    # ---- reading what happened
    def log(self, name: str) -> str:
        path = self.run / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def json_log(self, name: str) -> list[dict]:
        lines = []
        for line in self.log(name).splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    lines.append(record)
        return lines

    def logs_tail(self, lines: int = 30) -> str:
        names = [*self.processes, "nginx-error", "redis", "moto"]
        return "\n".join(f"--- {name}.log\n" + "\n".join(self.log(name).splitlines()[-lines:]) for name in names)

    def wait_for_email(self, to: str, timeout: float = 30):
        return wait_until(lambda: next((m for m in self.inbox.messages if m["To"] == to), None), timeout,
                          f"an email to {to}")

    def rq_queues(self):
        from rq import Queue

        from mwanzo.jobs import QUEUES

        return [Queue(name, connection=self.redis) for name in QUEUES]

    def wait_for_jobs(self, timeout: float = 60) -> None:
        """Until no job is waiting or running, nor waiting for a retry due soon (after its worker was killed,
        or its first failure: a tick that met a database restart). A retry due later counts as done, and
        failed_jobs reports it."""
        from rq.job import Job

        def abandoned(queue) -> bool:
            soon = self.redis.zrangebyscore(queue.scheduled_job_registry.key, 0, time.time() + FIRST_RETRY_SECONDS)
            return bool(soon) or any(
                job is not None and job.worker_name in self.killed_workers for job in
                Job.fetch_many(queue.scheduled_job_registry.get_job_ids(), connection=self.redis))

        wait_until(lambda: all(q.count == 0 and q.started_job_registry.count == 0 and not abandoned(q)
                               for q in self.rq_queues()), timeout, "the RQ queues to drain")

    def failed_jobs(self) -> list[str]:
        from rq.job import Job

        problems = []
        for queue in self.rq_queues():
            for registry, what in ((queue.failed_job_registry, "failed"), (queue.scheduled_job_registry, "retrying")):
                for job in Job.fetch_many(registry.get_job_ids(), connection=self.redis):
                    if job is not None:
                        result = job.latest_result()
                        problems.append(f"{queue.name} job {what}: {job.args[:1]}\n{result.exc_string if result else ''}")
        return problems

    @contextlib.contextmanager
    def app_context(self):
        """An app bound to the deployed database and Redis, for seeding rows and reading them back."""
        if self._seed_app is None:
            from mwanzo import create_app
            from mwanzo.config import normalise_database_url

            self._seed_app = create_app({
                "SQLALCHEMY_DATABASE_URI": normalise_database_url(self.database_url),
                "SECRET_KEY": self.environment["SECRET_KEY"], "REDIS_URL": self.redis_url, "JOB_RUNNER": "rq",
                "RATELIMIT_STORAGE_URI": "memory://", "PUBLIC_BASE_URL": self.url, "BCRYPT_ROUNDS": 4,
                "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": self.s3_endpoint,
                "AWS_REGION": "us-east-1",
            })
        with self._seed_app.app_context():
            yield self._seed_app


class PostgresCluster:
    """A PostgreSQL server of the run's own (initdb + pg_ctl of the machine's PostgreSQL, run as the postgres
    OS user when we are root; trust auth on loopback, fsync on), for drills that restart the database."""

    def __init__(self):
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            unavailable("the fault drills need PostgreSQL's server binaries (apt-get install postgresql)")
        self.bin = found[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="mwanzo-drill-pg-"))  # outside pytest's root-only folder
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.pg_ctl("initdb", "-o", "--auth=trust --username=postgres --no-sync")
        self.pg_ctl("start", "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=on")

    def pg_ctl(self, action: str, *args: str) -> None:
        # The server logs to a file: left on pg_ctl's output, it would hold our pipe open.
        subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), action, "-D", str(self.folder / "data"), "-w",
                        "-s", "-l", str(self.folder / "server.log"), *args], check=True, capture_output=True,
                       timeout=120)

    def restart(self) -> None:
        """A fast restart (open sessions are ended) that returns once the server accepts connections."""
        self.pg_ctl("restart", "-m", "fast")

    def remove(self) -> None:
        self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def lane_database(base: str, name: str) -> str:
    for tool in (NGINX, "redis-server"):
        if not shutil.which(tool):
            unavailable(f"the deployed lane needs {tool} (apt-get install nginx redis-server)")
    return fresh_postgres_database(base, name).replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def deploy(run: Path, database_url: str):
    """A whole deployment (outside world, release, Procfile processes, nginx) for as long as the block runs."""
    deployed = Deployment(run, database_url)
    try:
        deployed.start_all()
        yield deployed
    finally:
        deployed.stop_all()


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        unavailable("the deployed lane needs PostgreSQL (set TEST_DATABASE_URL)")
    with deploy(tmp_path_factory.mktemp("deployed"), lane_database(base, f"mwanzo_deployed_{os.getpid()}")) as deployed:
        yield deployed


@pytest.fixture(scope="session")
def nodes(deployment) -> tuple[str, str]:
    """Two web nodes behind nginx: the URLs that reach only node A and only node B (``add_web_node``)."""
    return deployment.add_web_node()


def check_jobs(deployment: Deployment) -> None:
    """Every job succeeded in the worker (a killed worker's job through its retry) and every process runs."""
    deployment.wait_for_jobs()
    problems = deployment.failed_jobs()
    assert not problems, "jobs failed in the worker:\n" + "\n".join(problems) + "\n" + deployment.logs_tail()
    deployment.assert_running()


@pytest.fixture(autouse=True)
def no_failed_jobs(deployment):
    """A test passes only if every job it caused succeeded in the worker and every process still runs."""
    yield
    check_jobs(deployment)


def visitor(deployment: Deployment) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or CA bundle from the environment: loopback, the run's own CA
    session.verify = deployment.ca_file
    return session


@pytest.fixture
def browser_session(deployment):
    """A fresh visitor: cookies of its own, trusting the deployment's certificate, sending a Referer as
    browsers do (Flask-WTF checks it on HTTPS)."""
    with visitor(deployment) as session:
        yield session


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
CONFIRM_INPUT = re.compile(r'name="confirm_token" value="([^"]+)"')


def form_post(session: requests.Session, url: str, data: dict, **kwargs) -> requests.Response:
    """GET the page holding the form, then POST it with its CSRF token (and an admin confirmation page's
    token, when the page shows one), as a browser would."""
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    token = CSRF_INPUT.search(page.text)
    assert token, f"no CSRF token on {url}"
    hidden = {"csrf_token": token.group(1)}
    if confirm := CONFIRM_INPUT.search(page.text):
        hidden["confirm_token"] = confirm.group(1)
    return session.post(url, data={**hidden, **data}, headers={"Referer": url}, timeout=30, **kwargs)

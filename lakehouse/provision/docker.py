"""Provision the Compose backend: the engine, one ``dockerd``, and the locally built images.

Read ``shared/notes/docker-compose.md`` for why each step is as it is. No image registry is reachable,
so nothing is pulled: every image is built here, from Debian packages only.

* :func:`ensure_engine`: Debian's ``docker.io`` and ``mmdebstrap`` (apt) when ``dockerd`` or
  ``mmdebstrap`` is missing; a Compose v2-line CLI plugin when ``docker compose version`` fails. Debian
  bookworm has only the old Python ``docker-compose`` 1.29, so Compose ``v5.6.0`` is built from its Go module
  (``go install`` refuses it: its go.mod has ``exclude`` directives) and cached by version in
  :func:`cache_dir` (``$LH_CACHE_DIR``, else ``$XDG_CACHE_HOME/lakehouse``, else ``~/.cache/lakehouse``),
  outside the clone like Go's and Maven's own caches, so a fresh clone reuses it. It is installed as
  ``/usr/local/lib/docker/cli-plugins/docker-compose``. buildx is not built: Compose and the SDK use the
  classic builder.
* :func:`ensure_daemon`: starts ``dockerd`` only when none answers, with :data:`DAEMON_CONFIG`: overlay2,
  rotated json-file logs, and **no bridge network** (``bridge: none``, no iptables, ip-forward or masquerade),
  so every container and build uses host networking and the daemon changes nothing on the host network.
  :func:`stop_daemon` stops only a daemon this module started (its pid file), and cleans up after it;
  :func:`host_network_snapshot` lets CI assert the host network is as it found it.
* :func:`ensure_images`: ``lakehouse/base:bookworm`` from ``mmdebstrap`` (only if missing), then one image per
  role in :data:`ROLES`, built with the docker SDK from ``docker/images/<role>/`` with host networking and
  tagged ``lakehouse/<role>:<12 hex>``: a hash of the role's build context, its build args and its parent
  (the base image's id for ``runtime``, the ``runtime`` tag for the others). A tag that exists is not
  rebuilt, so a run with nothing changed takes about a second.

Run by ``python -m lakehouse.provision --profile … --backend compose``. It imports the standard library and
this repository at import time; the ``docker`` SDK (``lakehouse/requirements.txt``) only inside functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lakehouse.provision.monitoring import _run
from lakehouse.provision.quality_orchestration import _ensure_postgres
from lakehouse.settings import REPO_ROOT, Settings
from lhcommon.polling import WaitTimeout, wait_until

Log = Callable[[str], None]

APT_PACKAGES = ("docker.io", "mmdebstrap")
COMPOSE_MODULE = "github.com/docker/compose/v5"
# v5.7.x needs a newer Go than the machine's 1.26.
COMPOSE_VERSION = "v5.6.0"
CLI_PLUGIN = Path("/usr/local/lib/docker/cli-plugins/docker-compose")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")

DAEMON_CONFIG: dict[str, Any] = {
    "storage-driver": "overlay2",
    "log-driver": "json-file",
    "log-opts": {"max-size": "10m", "max-file": "3"},
    "bridge": "none",
    "iptables": False,
    "ip-forward": False,
    "ip-masq": False,
}
DAEMON_START_TIMEOUT_S = 30.0
DAEMON_STOP_TIMEOUT_S = 30.0
# What a stopped dockerd leaves mounted (/var/run is a link to /run; mountinfo shows either).
NETNS_MOUNTS = ("/run/docker/netns/default", "/var/run/docker/netns/default")

BASE_IMAGE = "lakehouse/base:bookworm"
SUITE = "bookworm"
IMAGES_DIR = REPO_ROOT / "docker" / "images"
# role → parent role (None: the base image), in build order.
ROLES: dict[str, str | None] = {"runtime": None, "jvm": "runtime", "postgres": "runtime", "monitoring": "runtime"}
HEARTBEAT_S = 20.0


def repository() -> str:
    """The role images' repository prefix: ``lakehouse``, or ``$LH_IMAGE_REPOSITORY`` (the benchmark's scratch set)."""
    return os.environ.get("LH_IMAGE_REPOSITORY") or "lakehouse"


# --- engine ---------------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Builds that outlive a clone: ``$LH_CACHE_DIR``, ``$XDG_CACHE_HOME/lakehouse`` or ``~/.cache/lakehouse``."""
    if os.environ.get("LH_CACHE_DIR"):
        return Path(os.environ["LH_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lakehouse"


def compose_cache_path(version: str = COMPOSE_VERSION) -> Path:
    return cache_dir() / "docker-compose" / version / "docker-compose"


def ensure_engine(settings: Settings, log: Log) -> dict[str, Any]:
    """Install the engine (apt) and a Compose CLI plugin when missing; returns what is there and what was done."""
    started = time.monotonic()
    done: list[str] = []
    if not (shutil.which("dockerd") and shutil.which("mmdebstrap") and _docker_cli()):
        _apt_install(log)
        done.append("apt: " + " ".join(APT_PACKAGES))
    compose = _compose_version()
    if compose is None:
        built = compose_cache_path()
        if not built.exists():
            _build_compose(built, log)
            done.append(f"built compose {COMPOSE_VERSION}")
        _install_plugin(built, log)
        done.append(f"installed {CLI_PLUGIN}")
        compose = _compose_version()
        if compose is None:
            raise RuntimeError(f"installed {CLI_PLUGIN} from {built} but `docker compose version` still fails")
    return {
        "dockerd": shutil.which("dockerd"),
        "mmdebstrap": shutil.which("mmdebstrap"),
        "docker": _docker_cli(),
        "compose": compose,
        "done": done,
        "seconds": round(time.monotonic() - started, 2),
    }


def _docker_cli() -> str | None:
    return shutil.which("docker")


def _compose_version() -> str | None:
    docker = _docker_cli()
    if docker is None:
        return None
    result = subprocess.run([docker, "compose", "version", "--short"], capture_output=True, text=True, timeout=30,
                            check=False)  # fmt: skip
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def _apt_install(log: Log) -> None:
    if os.geteuid() != 0:
        raise RuntimeError(
            "Docker or mmdebstrap is not installed and provisioning is not running as root: run "
            f"apt-get install -y --no-install-recommends {' '.join(APT_PACKAGES)}"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    log(f"[docker] installing {', '.join(APT_PACKAGES)} from apt")
    started = time.monotonic()
    # docker.io's postinst would start a dockerd with the default bridge network through its init script;
    # policy-rc.d (Debian's switch for that) forbids it while we install, unless the machine already has one.
    policy = POLICY_RC_D if not POLICY_RC_D.exists() else None
    if policy:
        policy.write_text("#!/bin/sh\n# lakehouse.provision.docker: no service starts during apt-get\nexit 101\n")
        policy.chmod(0o755)
    try:
        if not list(Path("/var/lib/apt/lists").glob("*Packages*")):
            _run(["apt-get", "update"], "apt-get update", env)
        try:
            _run(install, "apt-get install", env)
        except RuntimeError:
            # Stale lists on a long-lived machine: refresh once and retry.
            _run(["apt-get", "update"], "apt-get update", env)
            _run(install, "apt-get install", env)
    finally:
        if policy:
            policy.unlink(missing_ok=True)
    if not (shutil.which("dockerd") and shutil.which("mmdebstrap") and _docker_cli()):
        raise RuntimeError(f"apt-get installed {' '.join(APT_PACKAGES)} but dockerd, docker or mmdebstrap is missing")
    log(f"[docker] engine installed in {time.monotonic() - started:.1f} s")


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise RuntimeError("Go is required to build the Compose CLI plugin (Debian bookworm has only Compose 1.29)")
    return go


def _build_compose(target: Path, log: Log) -> None:
    """``go build`` Compose from its module source (``go install`` refuses a go.mod with ``exclude``)."""
    go = _go()
    log(f"[docker] building Compose {COMPOSE_VERSION} from the Go module {COMPOSE_MODULE} (about 1.5 min on 2 cores; "
        "the first time also about 2 GB of Go caches)")  # fmt: skip
    started = time.monotonic()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="compose-src-", dir=target.parent) as tmp:
        out = subprocess.run([go, "mod", "download", "-json", f"{COMPOSE_MODULE}@{COMPOSE_VERSION}"], cwd=tmp,
                             env=env, capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(f"go mod download {COMPOSE_MODULE}@{COMPOSE_VERSION} failed: {out.stderr[-3000:]}")
        src = Path(tmp) / "src"
        shutil.copytree(json.loads(out.stdout)["Dir"], src)
        for path in (src, *src.rglob("*")):  # the module cache is read-only
            path.chmod(path.stat().st_mode | 0o200)
        partial = target.with_suffix(".partial")
        ldflags = f"-w -s -X {COMPOSE_MODULE}/internal.Version={COMPOSE_VERSION}"
        build = subprocess.run([go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(partial), "./cmd"], cwd=src,
                               env=env, capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
        if build.returncode != 0:
            raise RuntimeError(f"go build of Compose {COMPOSE_VERSION} failed: {build.stderr[-3000:]}")
        partial.replace(target)
    log(f"[docker] Compose {COMPOSE_VERSION} built in {time.monotonic() - started:.1f} s, cached at {target}")


def _install_plugin(binary: Path, log: Log) -> None:
    CLI_PLUGIN.parent.mkdir(parents=True, exist_ok=True)
    partial = CLI_PLUGIN.with_name(CLI_PLUGIN.name + ".partial")
    shutil.copyfile(binary, partial)
    partial.chmod(0o755)
    partial.replace(CLI_PLUGIN)
    log(f"[docker] installed the Compose CLI plugin {CLI_PLUGIN}")


# --- daemon ---------------------------------------------------------------------------------------------
def daemon_dir(settings: Settings) -> Path:
    return settings.run_dir / "dockerd"


def daemon_config_file(settings: Settings) -> Path:
    return daemon_dir(settings) / "daemon.json"


def daemon_pid_file(settings: Settings) -> Path:
    return daemon_dir(settings) / "dockerd.pid"


def daemon_log_file(settings: Settings) -> Path:
    return settings.logs_dir / "dockerd.log"


def sdk() -> Any:
    """The ``docker`` SDK. Imported late: provisioning also runs before the platform venv has it.

    Without the SDK installed, ``import docker`` run from the repository root finds the repo's ``docker/``
    folder as a namespace package; that is reported as what it is.
    """
    import docker

    if not hasattr(docker, "from_env"):
        raise RuntimeError(
            f"the docker SDK is not installed for {sys.executable} (`import docker` found {list(docker.__path__)}): "
            "it is in lakehouse/requirements.txt; run python -m lakehouse.provision --profile core"
        )
    return docker


def daemon_answers() -> bool:
    """True when a Docker daemon answers ``/_ping`` (on ``DOCKER_HOST`` or the default socket)."""
    import requests

    docker = sdk()

    try:
        client = docker.from_env(timeout=5)
    except docker.errors.DockerException:
        return False  # no socket at all
    try:
        return bool(client.ping())
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False
    finally:
        client.close()


def _dockerd_pids() -> list[int]:
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid for pid in pids if _is_dockerd(pid)]


def _is_dockerd(pid: int) -> bool:
    """A live (not zombie) process named ``dockerd``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # "pid (comm) state …"; comm may hold spaces and parentheses.
    comm, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()[0]
    return comm == "dockerd" and state not in ("Z", "X")


def _exited(pid: int) -> bool:
    """True once ``pid`` is no dockerd; reaps it if this process started it (the tests start and stop one)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return not _is_dockerd(pid)


def ensure_daemon(settings: Settings, log: Log) -> bool:
    """Start ``dockerd`` when none answers; True if this call started one.

    A daemon that answers is used as it is, whoever started it. A ``dockerd`` process that runs but does not
    answer is given :data:`DAEMON_START_TIMEOUT_S` and never joined by a second one: two daemons on one host
    break each other.
    """
    if daemon_answers():
        return False
    timeout = DAEMON_START_TIMEOUT_S
    running = _dockerd_pids()
    if running:
        log(f"[docker] dockerd (pid {', '.join(map(str, running))}) runs but does not answer yet; waiting for it")
        try:
            wait_until(daemon_answers, timeout=timeout, description=f"the running dockerd {running} to answer",
                       log=False)  # fmt: skip
        except WaitTimeout as error:
            raise RuntimeError(f"{error}; not starting a second dockerd next to it") from None
        return False
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise RuntimeError("dockerd is not installed: run ensure_engine first (apt-get install docker.io)")
    config, pid_file, log_file = daemon_config_file(settings), daemon_pid_file(settings), daemon_log_file(settings)
    config.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps(DAEMON_CONFIG, indent=2) + "\n")
    started = time.monotonic()
    with log_file.open("ab") as out, open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(
            ["setsid", dockerd, "--config-file", str(config), "--pidfile", str(pid_file)],
            stdin=devnull, stdout=out, stderr=subprocess.STDOUT, close_fds=True,
        )  # fmt: skip

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"dockerd exited with code {proc.returncode} while starting:\n{_tail(log_file)}")
        return daemon_answers()

    try:
        wait_until(answers, timeout=timeout, description="dockerd to answer", log=False)
    except WaitTimeout as error:
        raise RuntimeError(f"{error}\n{log_file}:\n{_tail(log_file)}") from None
    log(f"[docker] started dockerd (pid file {pid_file}) in {time.monotonic() - started:.2f} s; log {log_file}")
    return True


def stop_daemon(settings: Settings, log: Log) -> bool:
    """Stop the ``dockerd`` that :func:`ensure_daemon` started (its pid file), and clean up after it.

    A daemon started any other way is left alone. SIGTERM, up to :data:`DAEMON_STOP_TIMEOUT_S`, then SIGKILL;
    then the ``netns/default`` mount it leaves behind is unmounted (unless another dockerd still runs) and the
    pid file removed. True if it stopped one.
    """
    pid_file = daemon_pid_file(settings)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return False
    if not _is_dockerd(pid):
        log(f"[docker] {pid_file} names pid {pid}, which is not a running dockerd; removing the stale pid file")
        pid_file.unlink(missing_ok=True)
        return False
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    try:
        wait_until(lambda: _exited(pid), timeout=DAEMON_STOP_TIMEOUT_S,
                   description=f"dockerd (pid {pid}) to exit after SIGTERM", log=False)  # fmt: skip
    except WaitTimeout:
        log(f"[docker] dockerd (pid {pid}) ignored SIGTERM for {DAEMON_STOP_TIMEOUT_S:.0f} s; sending SIGKILL")
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: _exited(pid), timeout=10, description=f"dockerd (pid {pid}) to die",
                   log=False)  # fmt: skip
    # The mount is shared by every dockerd on the host: leave it while another one runs.
    others = _dockerd_pids()
    for mount in NETNS_MOUNTS:
        if mount in _mount_points() and not others:
            _run(["umount", mount], f"umount {mount}", dict(os.environ))
    pid_file.unlink(missing_ok=True)
    log(f"[docker] stopped dockerd (pid {pid}) in {time.monotonic() - started:.2f} s")
    return True


def _mount_points() -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        points.append(fields[4].encode().decode("unicode_escape"))
    return points


def host_network_snapshot() -> dict[str, Any]:
    """What dockerd could change on the host: compare one taken before provisioning with one after ``stop_daemon``.

    ``ip_forward``, the network link names, the iptables rules (``iptables-save`` without its comments and
    packet counters; absent when iptables is not installed) and docker-related mount points.
    """
    snapshot: dict[str, Any] = {"ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()}
    if shutil.which("ip"):
        out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, timeout=30, check=True).stdout
        snapshot["links"] = sorted(line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if line)
    else:
        snapshot["links"] = sorted(p.name for p in Path("/sys/class/net").iterdir())
    if shutil.which("iptables-save"):
        out = subprocess.run(["iptables-save"], capture_output=True, text=True, timeout=30, check=False).stdout
        snapshot["iptables"] = [
            line.split(" [")[0] if line.startswith(":") else line
            for line in out.splitlines()
            if line and not line.startswith("#")
        ]
    snapshot["docker_mounts"] = sorted(p for p in _mount_points() if "docker" in p)
    return snapshot


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"({path} unreadable: {error})"


# --- images ---------------------------------------------------------------------------------------------
def _client() -> Any:
    return sdk().from_env(timeout=900)


def _host_postgres_ids(log: Log) -> tuple[int, int]:
    """The host's postgres uid/gid (it owns the data dir); installs PostgreSQL as quality-orchestration does."""
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        _ensure_postgres(log)
        entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


def build_args(role: str, parent: str, log: Log = print) -> dict[str, str]:
    """The build args of ``role``'s Dockerfile; ``parent`` is the image reference its ``FROM`` names."""
    args = {"BASE_IMAGE": parent} if ROLES[role] is None else {"RUNTIME_IMAGE": parent}
    if role == "postgres":
        uid, gid = _host_postgres_ids(log)
        args.update(PG_UID=str(uid), PG_GID=str(gid))
    return args


def context_digest(role: str) -> str:
    """Hash of every file of ``docker/images/<role>/`` (the build context), names included."""
    digest = hashlib.sha256()
    context = IMAGES_DIR / role
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(context)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _tag(role: str, args: dict[str, str], parent_identity: str) -> str:
    digest = hashlib.sha256(
        json.dumps({"context": context_digest(role), "args": args, "parent": parent_identity}, sort_keys=True).encode()
    ).hexdigest()
    return f"{repository()}/{role}:{digest[:12]}"


def image_tags(settings: Settings, log: Log = print, client: Any = None) -> dict[str, str]:
    """role → ``lakehouse/<role>:<hash>``, without building anything.

    Needs a daemon that answers and the base image (:data:`BASE_IMAGE`): its image id is the one input that
    cannot be computed from the repository. The role images need not exist. For ``postgres`` it reads the
    host's ``postgres`` uid/gid (installing PostgreSQL first if the user is missing, as quality-orchestration
    does).
    """
    docker = sdk()
    client = client or _client()
    try:
        base_id = client.images.get(BASE_IMAGE).id
    except docker.errors.ImageNotFound:
        raise RuntimeError(f"{BASE_IMAGE} is missing: run ensure_images (it builds it with mmdebstrap)") from None
    tags: dict[str, str] = {}
    for role, parent_role in ROLES.items():
        parent = BASE_IMAGE if parent_role is None else tags[parent_role]
        # The base tag is fixed, so its id stands for it; a role tag is already a content hash.
        identity = base_id if parent_role is None else parent
        tags[role] = _tag(role, build_args(role, parent, log), identity)
    return tags


def _image_exists(client: Any, ref: str) -> bool:
    docker = sdk()
    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_images(
    settings: Settings, log: Log, roles: list[str] | None = None, *, no_cache: bool = False
) -> dict[str, str]:
    """Build what is missing: the base image, then each role's image; returns role → tag (every role).

    ``roles`` limits what is built (their parents are built too); the returned dict still names every role.
    Older ``lakehouse/<role>`` tags are kept: going back to an earlier Dockerfile then re-tags from the
    builder's layer cache in seconds. :func:`remove_older_images` (``… docker prune``) drops them.
    ``no_cache`` builds every missing image without the builder's layer cache (the benchmark's fresh build).
    """
    client = _client()
    if not _image_exists(client, BASE_IMAGE):
        build_base_image(log)
    tags = image_tags(settings, log, client)
    wanted = set(roles or ROLES)
    for role in list(wanted):
        parent = ROLES.get(role, "")
        if parent == "":
            raise ValueError(f"unknown image role {role!r}; known: {', '.join(ROLES)}")
        if parent:
            wanted.add(parent)
    for role, parent_role in ROLES.items():
        if role not in wanted or _image_exists(client, tags[role]):
            continue
        parent = BASE_IMAGE if parent_role is None else tags[parent_role]
        _build(client, role, tags[role], build_args(role, parent, log), log, no_cache)
    return tags


def _build(client: Any, role: str, tag: str, args: dict[str, str], log: Log, no_cache: bool = False) -> None:
    docker = sdk()
    log(f"[docker] building {tag} from {IMAGES_DIR / role}")
    started = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_S):
            log(f"[docker] building {tag}: still running ({time.monotonic() - started:.0f} s)")

    threading.Thread(target=heartbeat, daemon=True).start()
    try:
        image, _ = client.images.build(
            path=str(IMAGES_DIR / role),
            tag=tag,
            buildargs=args,
            network_mode="host",
            pull=False,
            nocache=no_cache,
            rm=True,
            forcerm=True,
            labels={"org.lakehouse.role": role},
        )
    except docker.errors.BuildError as error:
        lines = [str(chunk.get("stream") or chunk.get("error") or "").rstrip() for chunk in error.build_log]
        tail = "\n".join(line for line in lines if line)
        raise RuntimeError(f"building {tag} failed: {error.msg}\n" + "\n".join(tail.splitlines()[-30:])) from None
    finally:
        done.set()
    size = image.attrs.get("Size", 0) / 1e6
    log(f"[docker] built {tag} in {time.monotonic() - started:.1f} s ({size:.0f} MB)")


def remove_older_images(settings: Settings, log: Log) -> list[str]:
    """Remove every ``lakehouse/<role>`` tag but the current one (a tag a container still uses is kept)."""
    docker = sdk()
    client = _client()
    current = image_tags(settings, log, client)
    removed = []
    for role, keep in current.items():
        for image in client.images.list(name=f"{repository()}/{role}"):
            for tag in image.tags:
                if tag == keep or not tag.startswith(f"{repository()}/{role}:"):
                    continue
                try:
                    client.images.remove(tag)
                except docker.errors.APIError as error:
                    log(f"[docker] kept {tag}: {error.explanation}")
                    continue
                removed.append(tag)
                log(f"[docker] removed the older image tag {tag}")
    return removed


def base_sources() -> Path:
    """The host's apt sources, the base image's mirror argument (so it uses the same mirror as the host)."""
    for candidate in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        if candidate.exists():
            return candidate
    raise RuntimeError("no apt sources on this host (/etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)")


def build_base_image(log: Log, tag: str = BASE_IMAGE) -> str:
    """``mmdebstrap`` a minimal bookworm into ``docker import`` as ``tag``; returns the image id."""
    mmdebstrap, docker_cli = shutil.which("mmdebstrap"), _docker_cli()
    if not (mmdebstrap and docker_cli):
        raise RuntimeError("mmdebstrap and the docker CLI are needed for the base image: run ensure_engine first")
    argv = [
        mmdebstrap,
        "--variant=minbase",
        # Without it usrmerge pulls in perl.
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        # dpkg's path-exclude takes a glob without braces: one option per directory.
        *(f"--dpkgopt=path-exclude=/usr/share/{d}/*" for d in ("man", "doc", "locale", "info")),
        # openjdk's postinst needs it.
        '--customize-hook=mkdir -p "$1/usr/share/man/man1"',
        SUITE,
        "-",
        str(base_sources()),
    ]
    log(f"[docker] building {tag} with mmdebstrap from {argv[-1]} (about a minute)")
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        producer = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)
        assert producer.stdout is not None
        try:
            imported = subprocess.run([docker_cli, "import", "-", tag], stdin=producer.stdout,
                                      capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
        finally:
            producer.stdout.close()
            rc = producer.wait(timeout=1800)
        if rc != 0 or imported.returncode != 0:
            errors.seek(0)
            tail = "\n".join(errors.read().decode(errors="replace").splitlines()[-30:])
            raise RuntimeError(
                f"building {tag} failed: mmdebstrap exit {rc}, docker import exit {imported.returncode} "
                f"{imported.stderr.strip()}\n{tail}"
            )
    log(f"[docker] {tag} imported in {time.monotonic() - started:.1f} s ({imported.stdout.strip()})")
    return imported.stdout.strip()


def image_sizes(tags: dict[str, str]) -> dict[str, int]:
    """tag → size in bytes (the base image included)."""
    client = _client()
    return {ref: client.images.get(ref).attrs["Size"] for ref in (BASE_IMAGE, *tags.values())}


# --- the Compose backend's provisioning, and a CLI for CI and the benchmark --------------------------------
def provision_backend(settings: Settings, log: Log) -> dict[str, Any]:
    """Engine, daemon, images, each timed: what ``python -m lakehouse.provision --backend compose`` adds."""
    figures: dict[str, Any] = {}
    started = time.monotonic()
    engine = ensure_engine(settings, log)
    figures["engine_s"] = round(time.monotonic() - started, 2)
    log(f"engine ready in {figures['engine_s']:.2f} s (compose {engine['compose']}"
        f"{'; ' + ', '.join(engine['done']) if engine['done'] else ''})")  # fmt: skip
    started = time.monotonic()
    figures["daemon_started"] = ensure_daemon(settings, log)
    figures["daemon_s"] = round(time.monotonic() - started, 2)
    log(f"dockerd {'started' if figures['daemon_started'] else 'already running'} in {figures['daemon_s']:.2f} s")
    started = time.monotonic()
    figures["images"] = ensure_images(settings, log)
    figures["images_s"] = round(time.monotonic() - started, 2)
    log(f"images ready in {figures['images_s']:.2f} s: {' '.join(figures['images'].values())}")
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m lakehouse.provision.docker {provision,images,tags,prune,base,stop,snapshot} [--json]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lakehouse.provision.docker", description=main.__doc__)
    parser.add_argument("verb", choices=("provision", "images", "tags", "prune", "base", "stop", "snapshot"),
                        help="provision: engine, dockerd, images; images: build what is missing; tags: role → tag; "
                             "prune: remove older lakehouse/<role> tags; base: build the base image as --tag "
                             "(always); stop: stop the dockerd this module started; snapshot: the host network's "
                             "state")  # fmt: skip
    parser.add_argument("--no-cache", action="store_true", help="images: build without the builder's layer cache")
    parser.add_argument("--tag", default=BASE_IMAGE, help=f"base: the tag to import as (default {BASE_IMAGE})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout (logs to stderr)")
    args = parser.parse_args(argv)
    settings = Settings.load()
    out = sys.stderr if args.json else sys.stdout

    def log(line: str) -> None:
        print(f"[provision] {line}", file=out, flush=True)

    started = time.monotonic()
    result: Any
    if args.verb == "provision":
        result = provision_backend(settings, log)
    elif args.verb == "images":
        tags = ensure_images(settings, log, no_cache=args.no_cache)
        result = {"seconds": round(time.monotonic() - started, 2), "images": tags, "sizes": image_sizes(tags)}
    elif args.verb == "tags":
        result = image_tags(settings, log)
    elif args.verb == "prune":
        result = remove_older_images(settings, log)
    elif args.verb == "base":
        image_id = build_base_image(log, args.tag)
        size = _client().images.get(image_id).attrs["Size"]
        result = {"seconds": round(time.monotonic() - started, 2), "id": image_id, "size": size}
    elif args.verb == "stop":
        result = {"stopped": stop_daemon(settings, log), "seconds": round(time.monotonic() - started, 2)}
    else:
        result = host_network_snapshot()
    print(json.dumps(result, indent=2) if args.json else result, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

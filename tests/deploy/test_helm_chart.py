"""The Helm chart says nothing the code does not hear (issue 10, 15): every variable it
sets is one `Settings.from_env` reads, every value it offers lands in what it renders,
and the services' secrets come from Kubernetes Secrets only.

Renders the chart with the helm that `make chart` uses, built the same way if missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from liuhen.console.settings import ConsoleSettings
from liuhen.platform.config import SERVICES, STACK_REQUIRED, Settings, client_secret_variable

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "liuhen"
HELM = Path.home() / ".cache" / "liuhen-tools" / "helm"
HELM_MODULE = "helm.sh/helm/v3/cmd/helm@v3.22.0"  # the Makefile's

pytestmark = pytest.mark.timeout(1800)  # the first run may build helm


@pytest.fixture(scope="module")
def helm() -> Path:
    if not HELM.exists():
        go = shutil.which("go") or "/usr/local/go/bin/go"
        env = {**os.environ, "GOBIN": str(HELM.parent)}
        HELM.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "install", HELM_MODULE], env=env, check=True, timeout=1700)
    return HELM


def render(helm: Path, tmp_path: Path, values: dict[str, Any] | None = None) -> str:
    args = [str(helm), "template", "liuhen", str(CHART)]
    if values is not None:
        override = tmp_path / "values.yaml"
        override.write_text(yaml.safe_dump(values))
        args += ["-f", str(override)]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120).stdout


def containers(rendered: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(workload name, container) for every container of every workload."""
    for doc in yaml.safe_load_all(rendered):
        spec = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            yield doc["metadata"]["name"], container


class Asked(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def settings_variables() -> set[str]:
    """The variables `Settings.from_env` reads on the stack profile, and the console's
    own (`ConsoleSettings.from_env`)."""
    secrets = {client_secret_variable(s): "x" for s in SERVICES}
    required = dict.fromkeys(STACK_REQUIRED, "x")
    env = Asked({"LIUHEN_PROFILE": "stack", "LIUHEN_CONSOLE_SECRET": "x", **required, **secrets})
    Settings.from_env(env, services=SERVICES)
    ConsoleSettings.from_env(env)
    return env.asked


def test_every_variable_the_chart_sets_is_one_settings_reads(helm: Path, tmp_path: Path) -> None:
    read = settings_variables()
    for workload, container in containers(render(helm, tmp_path)):
        for var in container.get("env", []):
            assert var["name"] in read, f"{workload} sets {var['name']}, which nothing reads"


def test_secrets_come_from_kubernetes_secrets_and_each_service_holds_only_its_own(
    helm: Path, tmp_path: Path
) -> None:
    for workload, container in containers(render(helm, tmp_path)):
        env = {var["name"]: var for var in container.get("env", [])}
        for name, var in env.items():
            if name.endswith(("_SECRET", "_KEY", "_DATABASE_URL", "_OWNER_URL")):
                assert "value" not in var and "secretKeyRef" in var["valueFrom"], name
        held = {s for s in SERVICES if client_secret_variable(s) in env}
        if workload.removeprefix("liuhen-") in SERVICES:
            assert held == {workload.removeprefix("liuhen-")}
        else:
            assert not held


def leaves(values: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(values, dict):
        for key, value in values.items():
            yield from leaves(value, (*path, key))
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from leaves(value, (*path, i))
    else:
        yield path, values


def with_leaf(values: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(values, list):
        return [with_leaf(v, rest, new) if i == head else v for i, v in enumerate(values)]
    return {k: with_leaf(v, rest, new) if k == head else v for k, v in values.items()}


def defaults() -> dict[str, Any]:
    return dict(yaml.safe_load((CHART / "values.yaml").read_text()))


def test_every_value_lands_and_each_config_value_in_a_variable_settings_reads(
    helm: Path, tmp_path: Path
) -> None:
    """Each scalar gets its own marker in one render; the markers must all come out."""
    values, markers = defaults(), {}
    for i, (path, value) in enumerate(leaves(defaults())):
        if isinstance(value, bool):
            continue  # flipped one at a time below
        # Five-digit numbers: helm turns larger ones into floats (4.24e+06) when quoted.
        markers[path] = 31_000 + i if isinstance(value, int) else f"marker-{i}-x"
        values = with_leaf(values, path, markers[path])
    rendered = render(helm, tmp_path, values)
    read = settings_variables()
    env_values = {
        str(var.get("value")): var["name"]
        for _, container in containers(rendered)
        for var in container.get("env", [])
    }
    for path, marker in markers.items():
        landed = re.search(rf"\b{marker}\b", rendered)
        assert landed, f"values.yaml {'.'.join(map(str, path))} lands nowhere"
        if path[0] == "config":
            # a whole variable, or one `key=value` of a table (config.retention.kinds)
            variable = env_values.get(str(marker)) or next(
                (
                    name
                    for value, name in env_values.items()
                    if re.search(rf"(^|,)[a-z_]+={marker}(,|$)", value)
                ),
                None,
            )
            assert variable in read, f"config.{path[1]} reaches no setting"


def test_every_switch_changes_what_the_chart_renders(helm: Path, tmp_path: Path) -> None:
    baseline = render(helm, tmp_path)
    for path, value in leaves(defaults()):
        if isinstance(value, bool):
            flipped = render(helm, tmp_path, with_leaf(defaults(), path, not value))
            assert flipped != baseline, f"values.yaml {'.'.join(map(str, path))} changes nothing"


def test_the_console_runs_as_its_own_hardened_deployment_behind_an_ingress(
    helm: Path, tmp_path: Path
) -> None:
    docs = {
        (d["kind"], d["metadata"]["name"]): d
        for d in yaml.safe_load_all(render(helm, tmp_path))
        if d
    }
    deployment = docs[("Deployment", "liuhen-console")]
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["python", "-m", "liuhen.console"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"] == defaults()["securityContext"]
    assert spec["securityContext"] == defaults()["podSecurityContext"]
    env = {v["name"]: v for v in container["env"]}
    assert env["LIUHEN_CONSOLE_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "session-secret"
    ingress = docs[("Ingress", "liuhen-console")]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "liuhen-console"
    assert ("Service", "liuhen-console") in docs


def test_every_workload_reaches_each_service_at_a_service_the_chart_renders(
    helm: Path, tmp_path: Path
) -> None:
    """A pod listens on 0.0.0.0, which reaches no other pod: the address a workload's
    settings give for a sibling must be a rendered Service, on that Service's port."""
    docs = [d for d in yaml.safe_load_all(render(helm, tmp_path)) if d]
    services = {
        d["metadata"]["name"]: {p["port"] for p in d["spec"]["ports"]}
        for d in docs
        if d["kind"] == "Service"
    }
    deployments = [d for d in docs if d["kind"] == "Deployment"]  # the migration Job calls none
    assert {d["metadata"]["name"] for d in deployments} >= {f"liuhen-{s}" for s in SERVICES}
    for deployment in deployments:
        workload = deployment["metadata"]["name"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {v["name"]: str(v.get("value", "from-a-secret")) for v in container.get("env", [])}
        settings = Settings.from_env(env)
        for service in SERVICES:
            host, port = settings.address(service).rsplit(":", 1)
            assert host == f"liuhen-{service}", f"{workload} reaches {service} at {host}"
            assert int(port) in services[host], f"{workload} reaches {service} on port {port}"
        assert settings.bind_address("cases").startswith("0.0.0.0:")

#!/usr/bin/env python3
"""make helm-check: checks the Helm chart without a cluster.

For every values file in helm/trellis/ci/ the chart is rendered offline with the Helm v4 SDK
(helm-python-sdk), linted (strict: warnings fail too), and every rendered manifest is validated
against the Kubernetes API schemas of KUBERNETES_VERSION (kubernetes-validate, strict: unknown
fields fail). Prometheus Operator objects, which those schemas do not cover, are checked by
promtool (the rules) and against the Services they select (the ServiceMonitor). Then the shape:
a workload, Service and probes for every worker kind, shard settings for sharded kinds, the
rendered configuration accepted by `trellis config check` with the pods' environment, names
and labels the API server accepts even for a 53-character release name, and an Ingress that
sends every route of config/routing.tsv to the worker kind the local nginx would.
Values that must be refused (values.schema.json) are tried too, and the chart README's values
table must match values.yaml.

Usage: helm_check.py [--trellis PATH_TO_TRELLIS_BINARY]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "trellis"
KUBERNETES_VERSION = "1.36.0"
TRAFFIC_KINDS = {"client-api", "sync", "federation-reader", "media"}
SHARDED_KINDS = {"federation-sender", "push"}
RELEASE = "t"

# Paths a client or server sends, each checked to reach the same worker kind through the
# Ingress (as ingress-nginx orders regex locations) as through the routing table's own rules.
PROBE_PATHS = [
    "/_matrix/client/v3/sync", "/_matrix/client/r0/sync", "/_matrix/client/v3/events",
    "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync", "/_matrix/client/v3/sync/extra",
    "/_matrix/client/v3/rooms/!r:x/send/m.room.message/1", "/_matrix/client/v3/login",
    "/_matrix/client/versions", "/_matrix/client/v1/media/download/x/y", "/_matrix/client/v1/media/config",
    "/_matrix/media/v3/upload", "/_matrix/media/r0/download/x/y",
    "/_matrix/federation/v1/media/download/abc", "/_matrix/federation/v1/send/1",
    "/_matrix/federation/v2/invite/!r:x/$e", "/_matrix/key/v2/server",
    "/_synapse/admin/v1/media/x/y", "/_synapse/admin/v1/users/@u:x/media",
    "/_synapse/admin/v1/user/@u:x/media/quarantine", "/_synapse/admin/v2/users/@u:x",
    "/_synapse/admin/v1/register", "/.well-known/matrix/client", "/.well-known/matrix/server",
    "/", "/health",
]

# Values the schema must refuse, each with why.
REFUSED_VALUES = [
    ({"workers": {"sync": {"replicas": "two"}}}, "replicas must be a number"),
    ({"workers": {"push": {"autoscaling": {"enabled": True}}}}, "sharded kinds do not autoscale"),
    ({"workers": {"janitor": {"replicas": 1}}}, "unknown worker kind"),
    ({"database": {"tls": {"mode": "yes"}}}, "unknown TLS mode"),
    ({"database": {"port": 70000}}, "port out of range"),
    ({"logging": {"level": "loud"}}, "unknown log level"),
    ({"signingKey": {"value": "", "existingSecret": ""}}, "no signing key"),
    ({"serverName": "bad name!"}, "invalid server name"),
    ({"ingress": {"tls": {"enabled": "yes"}}}, "boolean expected"),
    ({"replicaCount": 3}, "unknown top-level key"),
    ({"redis": {"bundled": {"enabled": True}, "tls": {"enabled": True}}}, "TLS to the bundled Redis"),
]

# Values that render to nothing but an error, each with why.
FAILING_VALUES = [
    ({"workers": {"media": {"replicas": 2}}, "media": {"persistence": {"accessModes": ["ReadWriteOnce"]}}},
     "several media replicas on a ReadWriteOnce volume"),
]


class CheckFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def routing_table() -> list[tuple[str, str, str]]:
    """The (match, pattern, kind) rows of config/routing.tsv."""
    rows = []
    for line in (ROOT / "config" / "routing.tsv").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            match, pattern, kind = line.split()
            rows.append((match, pattern, kind))
    return rows


def route_by_table(path: str, table: list[tuple[str, str, str]]) -> str:
    """The kind nginx picks with scripts/gen-nginx-conf.sh's config: a matching regex (first in
    file order) beats every prefix; otherwise the longest matching prefix."""
    for match, pattern, kind in table:
        if match == "regex" and re.search(pattern, path):
            return kind
    prefixes = [(len(pattern), kind) for match, pattern, kind in table if match == "prefix" and path.startswith(pattern)]
    return max(prefixes)[1]


def route_by_ingress(path: str, host: str, ingresses: list[dict]) -> str | None:
    """The kind ingress-nginx picks: it writes every path of a host, from all Ingresses, as a
    location `~* "^<path>"`, longest path first (ties in reverse alphabetical order), and nginx
    takes the first regex that matches, case-insensitively."""
    locations = []
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            if rule["host"] != host:
                continue
            for entry in rule["http"]["paths"]:
                service = entry["backend"]["service"]["name"]
                locations.append((entry["path"], service.removeprefix(f"{RELEASE}-trellis-")))
    locations.sort(key=lambda location: (len(location[0]), location[0]), reverse=True)
    for pattern, kind in locations:
        if re.search("^" + pattern, path, re.IGNORECASE):
            return kind
    return None


def objects_of(rendered: dict[str, str]) -> list[dict]:
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


def check_manifests(objects: list[dict]) -> None:
    for obj in objects:
        if obj["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # checked by check_monitoring
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise CheckFailed(f"{obj['kind']} {obj['metadata']['name']}: {error.message} at {list(error.path)}")


DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def check_names(objects: list[dict]) -> None:
    """Rules the API server applies beyond the schemas: Service names are DNS labels (63
    characters), StatefulSet and CronJob names leave room for the suffixes Kubernetes adds
    (52), other names are DNS subdomains, and label values are at most 63 valid characters."""
    limits = {"Service": 63, "StatefulSet": 52, "CronJob": 52}
    for obj in objects:
        name, kind = obj["metadata"]["name"], obj["kind"]
        expect(len(name) <= limits.get(kind, 253), f"{kind} {name}: name longer than {limits.get(kind, 253)}")
        expect(DNS_LABEL.match(name) is not None or kind not in limits, f"{kind} {name}: not a DNS label")
        templates = [obj.get("spec", {}).get("template", {}), obj]
        for holder in templates:
            for key, value in holder.get("metadata", {}).get("labels", {}).items():
                expect(len(value) <= 63 and LABEL_VALUE.match(value) is not None, f"{kind} {name}: label {key}={value}")


def check_monitoring(objects: list[dict], values: dict) -> None:
    by_kind = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    monitors = by_kind.get("ServiceMonitor", [])
    expect(len(monitors) == int(values["metrics"]["serviceMonitor"]["enabled"]), "ServiceMonitor iff enabled")
    for monitor in monitors:
        selector = monitor["spec"]["selector"]["matchLabels"]
        selected = [s for s in by_kind["Service"] if selector.items() <= s["metadata"]["labels"].items()]
        kinds = {s["metadata"]["labels"]["app.kubernetes.io/component"] for s in selected}
        expect(kinds == set(values["workers"]), f"ServiceMonitor selects {sorted(kinds)}, not every worker kind")
        for service in selected:
            ports = {p["name"] for p in service["spec"]["ports"]}
            expect("metrics" in ports, f"Service {service['metadata']['name']} has no metrics port")
        expect(monitor["spec"]["jobLabel"] in selected[0]["metadata"]["labels"], "jobLabel is not a Service label")
    rules = by_kind.get("PrometheusRule", [])
    expect(len(rules) == int(values["metrics"]["prometheusRule"]["enabled"]), "PrometheusRule iff enabled")
    for rule in rules:
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
            yaml.safe_dump({"groups": rule["spec"]["groups"]}, file)
            file.flush()
            result = subprocess.run(["promtool", "check", "rules", file.name], capture_output=True, text=True)
            expect(result.returncode == 0, f"promtool rejects the PrometheusRule: {result.stdout}{result.stderr}")


def check_workers(objects: list[dict], values: dict) -> None:
    for kind in values["workers"]:
        worker = values["workers"][kind]
        name = f"{RELEASE}-trellis-{kind}"
        expected_kind = "StatefulSet" if kind in SHARDED_KINDS else "Deployment"
        workloads = [o for o in objects if o["kind"] == expected_kind and o["metadata"]["name"] == name]
        expect(len(workloads) == 1, f"{kind}: no {expected_kind} {name}")
        spec = workloads[0]["spec"]
        pod = spec["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == kind)
        expect(container["command"] == [f"trellis-{kind}"], f"{kind}: runs {container['command']}")
        expect(container["livenessProbe"]["httpGet"]["path"] == "/health", f"{kind}: liveness is not /health")
        expect(container["readinessProbe"]["httpGet"]["path"] == "/ready", f"{kind}: readiness is not /ready")
        security = container["securityContext"]
        expect(pod["securityContext"].get("runAsNonRoot") is True, f"{kind}: may run as root")
        expect(security.get("readOnlyRootFilesystem") is True, f"{kind}: root filesystem is writable")
        expect(security.get("allowPrivilegeEscalation") is False, f"{kind}: privilege escalation allowed")
        expect("podAntiAffinity" in pod["affinity"] or worker["affinity"], f"{kind}: no anti-affinity")
        autoscaled = worker["autoscaling"]["enabled"]
        expect(("replicas" in spec) != autoscaled, f"{kind}: replicas set while autoscaled, or missing")
        hpas = [o for o in objects if o["kind"] == "HorizontalPodAutoscaler" and o["metadata"]["name"] == name]
        expect(len(hpas) == int(autoscaled), f"{kind}: HorizontalPodAutoscaler iff autoscaling.enabled")
        pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == name]
        expect(len(pdbs) == int(worker["podDisruptionBudget"]["enabled"]), f"{kind}: PodDisruptionBudget iff enabled")
        services = [o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == name]
        expect(len(services) == 1, f"{kind}: no Service")
        ports = {p["name"] for p in services[0]["spec"]["ports"]}
        expect(("api" in ports) == (kind in TRAFFIC_KINDS), f"{kind}: API port on the Service is wrong")
        env = {e["name"]: e for e in container["env"]}
        if kind in SHARDED_KINDS:
            expect(env["TRELLIS__WORKER__SHARD_COUNT"]["value"] == str(worker["replicas"]), f"{kind}: shard count")
            field = env["TRELLIS__WORKER__SHARD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
            expect(field == "metadata.labels['apps.kubernetes.io/pod-index']", f"{kind}: shard index source")
            expect(spec["serviceName"] == name, f"{kind}: StatefulSet serviceName")
        if kind == "media":
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            expect("/var/lib/trellis/media" in mounts, "media: the media store is not mounted")
            persistence = values["media"]["persistence"]
            shared = persistence["enabled"] and "ReadWriteMany" in persistence["accessModes"]
            # A volume one node mounts at a time: the old pod must go before the new one starts.
            expect(shared or spec["strategy"]["type"] == "Recreate", "media: rolling update on a ReadWriteOnce store")


def check_ingress(objects: list[dict], values: dict) -> None:
    ingresses = [o for o in objects if o["kind"] == "Ingress" and "element" not in o["metadata"]["name"]]
    names = {i["metadata"]["name"] for i in ingresses}
    expect({f"{RELEASE}-trellis-sync", f"{RELEASE}-trellis-other"} <= names, "expected the sync and the other Ingress")
    for ingress in ingresses:
        for rule in ingress["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                # The API server refuses ImplementationSpecific paths that do not start with /.
                expect(entry["path"].startswith("/"), f"{ingress['metadata']['name']}: path {entry['path']} is not absolute")
    host = values["ingress"]["host"]
    table = routing_table()
    paths = {(p["path"], p["backend"]["service"]["name"]) for i in ingresses for r in i["spec"]["rules"]
             if r["host"] == host for p in r["http"]["paths"]}
    for match, pattern, kind in table:
        path = pattern.removeprefix("^")
        expect((path, f"{RELEASE}-trellis-{kind}") in paths, f"Ingress lacks the route {match} {pattern} -> {kind}")
    for probe in PROBE_PATHS + [pattern for match, pattern, _ in table if match == "prefix"]:
        wanted, got = route_by_table(probe, table), route_by_ingress(probe, host, ingresses)
        expect(wanted == got, f"{probe}: the routing table sends it to {wanted}, the Ingress to {got}")
    sync = next(i for i in ingresses if i["metadata"]["name"].endswith("-sync"))
    hashed = "nginx.ingress.kubernetes.io/upstream-hash-by" in sync["metadata"]["annotations"]
    expect(hashed == values["ingress"]["syncAffinity"], "sync upstream-hash-by iff ingress.syncAffinity")
    secrets = {}
    for ingress in ingresses:
        for tls in ingress["spec"].get("tls", []):
            for tls_host in tls["hosts"]:
                secrets.setdefault(tls["secretName"], set()).add(tls_host)
        if values["ingress"]["tls"]["enabled"]:
            expect(bool(ingress["spec"].get("tls")), f"{ingress['metadata']['name']}: no TLS")
    # cert-manager makes one Certificate per annotated Ingress and secret: one secret, one host set.
    issuers = [i for i in ingresses if "cert-manager.io/cluster-issuer" in i["metadata"]["annotations"]]
    issued_secrets = [t["secretName"] for i in issuers for t in i["spec"]["tls"]]
    expect(len(issued_secrets) == len(set(issued_secrets)), "two annotated Ingresses share a certificate secret")
    well_known = values["wellKnown"]["enabled"] and values["serverName"] != host
    if well_known:
        kind = route_by_ingress("/.well-known/matrix/server", values["serverName"], ingresses)
        expect(kind == "client-api", "the server name's host does not serve /.well-known/matrix/")
        if values["ingress"]["tls"]["enabled"]:
            expect(all(values["serverName"] not in hosts or hosts == {values["serverName"]} for hosts in secrets.values()),
                   "the server name shares a certificate with ingress.host")


def trellis_containers(objects: list[dict]):
    """(workload, pod spec, container) of every container that runs a Trellis executable,
    init containers and Jobs included."""
    for obj in objects:
        template = obj.get("spec", {}).get("template") if obj["kind"] in ("Deployment", "StatefulSet", "Job") else None
        if not template:
            continue
        pod = template["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            if container.get("command", [""])[0].startswith("trellis"):
                yield obj, pod, container


def check_config(objects: list[dict], trellis: str | None) -> None:
    """Every Trellis container's configuration (the ConfigMap its pod mounts, with its
    environment) passes `trellis config check`, and no Secret value is in a ConfigMap."""
    config_maps = {o["metadata"]["name"]: o["data"].get("trellis.yaml", "") for o in objects if o["kind"] == "ConfigMap"}
    for secret in (o for o in objects if o["kind"] == "Secret"):
        for value in secret.get("data", {}).values():
            plain = base64.b64decode(value).decode()
            expect(all(plain not in text for text in config_maps.values()),
                   f"a value of Secret {secret['metadata']['name']} is in a ConfigMap")
    if not trellis:
        return
    with tempfile.TemporaryDirectory() as directory:
        key = Path(directory) / "signing.key"
        subprocess.run([trellis, "generate-signing-key", "--output", str(key)], check=True, capture_output=True)
        for workload, pod, container in trellis_containers(objects):
            volume = next(v for v in pod["volumes"] if v["name"] == "config")
            config = Path(directory) / f"{volume['configMap']['name']}.yaml"
            config.write_text(config_maps[volume["configMap"]["name"]])
            env = {"PATH": os.environ["PATH"], "TRELLIS__SIGNING_KEY_PATH": str(key)}
            for entry in container.get("env", []):
                if entry["name"].startswith("TRELLIS__") and entry["name"] != "TRELLIS__SIGNING_KEY_PATH":
                    field = entry.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath", "")
                    env[entry["name"]] = entry.get("value", "0" if "pod-index" in field else "from-a-secret")
            result = subprocess.run([trellis, "config", "check", str(config)], env=env, capture_output=True, text=True)
            expect(result.returncode == 0,
                   f"{workload['metadata']['name']} {container['name']}: {result.stdout}{result.stderr}")


def check_refused(chart: helm.Chart, base: dict) -> None:
    for override, reason in REFUSED_VALUES:
        values = merge(base, override)
        try:
            chart.validate_schema(values)
        except helm.HelmValuesError:
            continue
        raise CheckFailed(f"values.schema.json accepts {override} ({reason})")
    for override, reason in FAILING_VALUES:
        try:
            chart.render(merge(base, override), name=RELEASE, namespace="matrix", is_install=True)
        except helm.HelmError:
            continue
        raise CheckFailed(f"the chart renders {override} ({reason})")


def merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def check_values_table() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "helm_values_table.py"), "--check"],
                            capture_output=True, text=True)
    expect(result.returncode == 0, result.stdout + result.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trellis", help="the trellis CLI, for `trellis config check` of the rendered config")
    arguments = parser.parse_args()

    chart = helm.Chart.load(str(CHART))
    failures = 0
    for values_file in sorted((CHART / "ci").glob("*.yaml")):
        overrides = yaml.safe_load(values_file.read_text()) or {}
        try:
            values = chart.merge_values(overrides)
            chart.validate_schema(overrides)
            report = helm.lint(str(CHART), overrides, strict=True, kube_version=f"v{KUBERNETES_VERSION}")
            problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
            expect(not problems, f"helm lint: {problems}")
            objects = objects_of(chart.render(overrides, name=RELEASE, namespace="matrix", is_install=True))
            check_manifests(objects)
            check_monitoring(objects, values)
            check_workers(objects, values)
            check_ingress(objects, values)
            check_config(objects, arguments.trellis)
            # Helm allows release names of up to 53 characters: every name must still be valid.
            check_names(objects)
            check_names(objects_of(chart.render(overrides, name="r" * 53, namespace="matrix", is_install=True)))
            print(f"helm-check: {values_file.name}: {len(objects)} objects valid for Kubernetes {KUBERNETES_VERSION}")
        except (CheckFailed, helm.HelmError) as error:
            print(f"helm-check: {values_file.name}: FAILED: {error}")
            failures += 1
        except (KeyError, StopIteration) as error:
            print(f"helm-check: {values_file.name}: FAILED: an expected object or field is missing ({error!r})")
            failures += 1
    try:
        # Wrong values are tried once, each laid over a valid file.
        check_refused(chart, yaml.safe_load((CHART / "ci" / "minimal-values.yaml").read_text()))
        print(f"helm-check: {len(REFUSED_VALUES)} wrong values refused, {len(FAILING_VALUES)} failing to render")
    except (CheckFailed, helm.HelmError) as error:
        print(f"helm-check: wrong values: FAILED: {error}")
        failures += 1
    try:
        check_values_table()
        print("helm-check: README values table matches values.yaml")
    except CheckFailed as error:
        print(f"helm-check: README: FAILED: {error}")
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

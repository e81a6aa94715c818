#!/usr/bin/env python3
"""Checks deploy/kubernetes and deploy/sidecar offline: ctest -R deploy_manifests_test.

Every kustomization (base, namespace, overlays, components, sidecar) must name files that exist
and parse (YAML without duplicate keys, JSON, env files), and every Kubernetes object must match
its schema strictly: an unknown or misspelt field, a wrong type or a missing required field is
an error. The schemas are k8s-schemas.json (made by make_schemas.py from kubernetes-models) and
crd-schemas.json (the Prometheus operator's kinds, by hand).

Where kubectl is installed, every kustomization is rendered (`kubectl kustomize`), each component
over the base and all of them together, and what comes out is validated the same way; without
it (kustomize is no Debian 12 package) the files are validated as written, components' patches
without required fields. Then the promises deploy/README.md makes are checked on the result: no
`replicas` beside the HPA, memory request = limit, a grace period covering preStop, drain and
the Hub wait, the server's token not lent to anonymous callers, namespaces admitted by name, a
digest-pinned image in the production overlay, hashed ConfigMap names, TLS probes on the health
port, and with the fleet cache a key file, egress to Redis, and Redis bounded (maxmemory under
its limit, allkeys-lru). The alert rules pass `promtool check rules` where promtool is
installed, and with --server every tasks_* and process_* metric the monitoring component and the
custom-metrics HPA name must be one that server binary exports (read from its /metrics).

  deploy/validate/validate_manifests.py [--root DIR] [--no-render] [--server TASKS_SERVER]
  (DIR: a checkout, default this one; --no-render: as if kubectl were not installed)
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import yaml

HERE = pathlib.Path(__file__).resolve().parent
KUSTOMIZE_KINDS = ("Kustomization", "Component")


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice (PyYAML keeps the last one silently)."""


def _mapping(loader, node, deep=False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        keys.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml_docs(text):
    return [doc for doc in yaml.load_all(text, Loader=StrictLoader) if doc is not None]


class Schemas:
    def __init__(self):
        self.kinds, self.types = {}, {}
        for name in ("k8s-schemas.json", "crd-schemas.json"):
            data = json.loads((HERE / name).read_text())
            self.kinds.update(data["kinds"])
            self.types.update(data["types"])

    def validate(self, doc, where, problems, required=True):
        key = f"{doc.get('apiVersion')}/{doc.get('kind')}"
        if key not in self.kinds:
            problems.add(where, f"no schema for {key} (a new kind? run make_schemas.py)")
            return
        name = doc.get("metadata", {}).get("name", "?")
        self.check(doc, {"ref": self.kinds[key]}, f"{where}: {doc['kind']} {name}", problems,
                   required)

    def check(self, value, schema, path, problems, required):
        if schema == "any":
            return
        if isinstance(schema, str):
            expected = {"string": str, "number": (int, float), "boolean": bool,
                        "int-or-string": (int, str)}[schema]
            if not isinstance(value, expected) or (schema == "number" and isinstance(value, bool)):
                problems.add(path, f"{value!r} is not a {schema}")
            return
        if "enum" in schema:
            if value not in schema["enum"]:
                problems.add(path, f"{value!r} is none of {schema['enum']}")
        elif "array" in schema:
            if not isinstance(value, list):
                problems.add(path, "is not a list")
                return
            for i, item in enumerate(value):
                self.check(item, schema["array"], f"{path}[{i}]", problems, required)
        elif "map" in schema:
            if not isinstance(value, dict):
                problems.add(path, "is not a mapping")
                return
            for key, item in value.items():
                self.check(item, schema["map"], f"{path}.{key}", problems, required)
        else:
            definition = self.types[schema["ref"]]
            if "properties" not in definition:  # an alias (Quantity, IntOrString)
                self.check(value, definition, path, problems, required)
                return
            if not isinstance(value, dict):
                problems.add(path, f"{value!r} is not an object")
                return
            for key, item in value.items():
                if key not in definition["properties"]:
                    problems.add(path, f"unknown field {key!r}")
                elif item is not None:
                    self.check(item, definition["properties"][key], f"{path}.{key}", problems,
                               required)
            if required:
                for key in definition["required"]:
                    if key not in value:
                        problems.add(path, f"missing required field {key!r}")


def read_env_file(path):
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", line):
            raise ValueError(f"line {number} is not KEY=VALUE")
        key, value = line.split("=", 1)
        values[key] = value
    return values


def check_kustomization(folder, root, schemas, problems):
    """The files a kustomization names exist and parse; the objects among them validate."""
    where = folder.relative_to(root)
    path = folder / "kustomization.yaml"
    try:
        (kustomization,) = load_yaml_docs(path.read_text())
    except (yaml.YAMLError, ValueError) as error:
        problems.add(where, f"kustomization.yaml: {error}")
        return None
    if kustomization.get("kind", "Kustomization") not in KUSTOMIZE_KINDS:
        problems.add(where, f"kind {kustomization.get('kind')!r}")
    is_component = kustomization.get("kind") == "Component"

    for entry in kustomization.get("resources", []):
        target = (folder / entry).resolve()
        if (target / "kustomization.yaml").is_file():
            continue  # checked on its own
        if not target.is_file():
            problems.add(where, f"resource {entry} does not exist")
            continue
        try:
            docs = load_yaml_docs(target.read_text())
            for doc in docs:
                schemas.validate(doc, target.relative_to(root), problems)
            check_rules(docs, target.relative_to(root), problems)
        except yaml.YAMLError as error:
            problems.add(target.relative_to(root), str(error))
    for entry in kustomization.get("components", []):
        target = (folder / entry).resolve() / "kustomization.yaml"
        if not target.is_file() or yaml.safe_load(target.read_text()).get("kind") != "Component":
            problems.add(where, f"component {entry} is no folder holding a Component")
    for generator in kustomization.get("configMapGenerator", []):
        for entry in generator.get("files", []):
            target = folder / entry.split("=", 1)[-1]
            if not target.is_file():
                problems.add(where, f"{generator['name']}: file {entry} does not exist")
            elif target.suffix == ".json":
                try:
                    json.loads(target.read_text())
                except ValueError as error:
                    problems.add(target.relative_to(root), f"not JSON: {error}")
        for entry in generator.get("envs", []):
            try:
                read_env_file(folder / entry)
            except (OSError, ValueError) as error:
                problems.add(where, f"{generator['name']}: {entry}: {error}")
    for patch in kustomization.get("patches", []):
        text = (folder / patch["path"]).read_text() if "path" in patch else patch.get("patch", "")
        try:
            docs = load_yaml_docs(text)
        except yaml.YAMLError as error:
            problems.add(where, f"patch: {error}")
            continue
        for doc in docs:
            if isinstance(doc, dict) and "kind" in doc:  # strategic merge: a partial object
                schemas.validate(doc, f"{where} (patch)", problems, required=False)
            elif not (isinstance(doc, list) and all("op" in op and "path" in op for op in doc)):
                problems.add(where, "a patch that is neither an object nor a JSON patch")
    for image in kustomization.get("images", []):
        if "name" not in image:
            problems.add(where, "an images entry without name")
    return kustomization


def render(folder, root, problems, components=()):
    """kubectl kustomize of folder (with components, through a throwaway overlay), or None."""
    target = folder
    scratch = None
    if components:
        scratch = pathlib.Path(tempfile.mkdtemp())
        # kustomize takes relative paths only.
        (scratch / "kustomization.yaml").write_text(yaml.safe_dump({
            "resources": [os.path.relpath(folder, scratch)],
            "components": [os.path.relpath(c, scratch) for c in components]}))
        target = scratch
    result = subprocess.run(["kubectl", "kustomize", str(target)], capture_output=True, text=True)
    if scratch:
        shutil.rmtree(scratch)
    label = " + ".join(str(p.relative_to(root)) for p in (folder, *components))
    if result.returncode != 0:
        problems.add(label, f"kubectl kustomize failed: {result.stderr.strip()}")
        return label, None
    return label, load_yaml_docs(result.stdout)


def find(docs, kind, name=None):
    return [d for d in docs if d.get("kind") == kind and (name is None or
                                                          d["metadata"]["name"] == name)]


def check_promises(docs, config, label, problems):
    """What deploy/README.md promises about the shared Deployment."""
    for deployment in find(docs, "Deployment", "tasks-manager"):
        spec = deployment["spec"]
        if "replicas" in spec:
            problems.add(label, "Deployment sets replicas: the HPA owns it")
        if spec["strategy"]["rollingUpdate"].get("maxUnavailable") != 0:
            problems.add(label, "rollingUpdate.maxUnavailable is not 0")
        pod = spec["template"]["spec"]
        (container,) = [c for c in pod["containers"] if c["name"] == "tasks-manager"]
        resources = container["resources"]
        if resources["requests"].get("memory") != resources["limits"].get("memory"):
            problems.add(label, "memory request differs from the limit")
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {})
        drain = float(config.get("TASKS_SHUTDOWN_GRACE_PERIOD", 10))  # the flags' defaults
        hub = float(config.get("TASKS_HUB_TIMEOUT", 30))
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if drain < hub:
            problems.add(label, f"the drain ({drain} s) is shorter than the Hub wait ({hub} s)")
        if grace < pre_stop.get("seconds", 0) + drain + 1:
            problems.add(label, f"terminationGracePeriodSeconds {grace} < preStop "
                         f"{pre_stop.get('seconds', 0)} + drain {drain} + a margin")
        keys = {c.get("topologyKey") for c in pod.get("topologySpreadConstraints", [])
                if "pod-template-hash" in c.get("matchLabelKeys", [])}
        if keys != {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}:
            problems.add(label, "not spread over zones and hosts by pod-template-hash")
    if config.get("TASKS_ANONYMOUS_USES_SERVER_TOKEN", "false").lower() not in ("false", "0"):
        problems.add(label, "TASKS_ANONYMOUS_USES_SERVER_TOKEN is on (needs mTLS: a choice)")
    for policy in find(docs, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                selector = peer.get("namespaceSelector")
                names = [e for e in (selector or {}).get("matchExpressions", [])
                         if e.get("key") == "kubernetes.io/metadata.name"]
                if selector is not None and not names and \
                        "kubernetes.io/metadata.name" not in selector.get("matchLabels", {}):
                    problems.add(label, "a NetworkPolicy admits namespaces not named")
    for budget in find(docs, "PodDisruptionBudget"):
        if budget["spec"].get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
            problems.add(label, "PDB without unhealthyPodEvictionPolicy: AlwaysAllow")


def memory_bytes(quantity):
    """Bytes of a Kubernetes memory quantity (256Mi, 256M) or a Redis one (192mb, 192m)."""
    match = re.fullmatch(r"(\d+)\s*(?:([kKmMgG])([iIbB])?)?", str(quantity).strip())
    if not match:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    number, prefix, binary = match.groups()
    return int(number) * (1024 if binary else 1000) ** " kmg".index((prefix or " ").lower())


def check_fleet_cache(docs, label, problems):
    """What deploy/README.md promises about the fleet cache's Redis, where a render has one."""
    for deployment in find(docs, "Deployment", "tasks-manager"):
        (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"]
                        if c["name"] == "tasks-manager"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        if "TASKS_REDIS_ADDRESS" not in env:
            continue
        if not ({"TASKS_CACHE_KEY_FILE", "TASKS_REDIS_VALUE_KEY_FILE"} & env.keys()):
            problems.add(label, "TASKS_REDIS_ADDRESS without TASKS_CACHE_KEY_FILE: the server "
                         "refuses to start (Redis values need a MAC key)")
        port = env["TASKS_REDIS_ADDRESS"].rsplit(":", 1)[-1]
        port = int(port) if port.isdigit() else None  # None: a unix socket, no network
        egress = [rule for policy in find(docs, "NetworkPolicy", "tasks-manager")
                  for rule in policy["spec"].get("egress", [])
                  if port in [p.get("port") for p in rule.get("ports", [])]]
        if port and not egress:
            problems.add(label,
                         f"the servers' NetworkPolicy admits no egress to Redis's port {port}")
    for deployment in find(docs, "Deployment", "tasks-manager-redis"):
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        names = [v["configMap"]["name"] for v in pod.get("volumes", []) if "configMap" in v]
        conf = "".join(c.get("data", {}).get("redis.conf", "") for n in names
                       for c in find(docs, "ConfigMap", n))
        settings = dict(line.split(None, 1) for line in conf.splitlines()
                        if line.strip() and not line.startswith("#") and " " in line.strip())
        if settings.get("maxmemory-policy", "").strip() != "allkeys-lru":
            problems.add(label, "Redis without maxmemory-policy allkeys-lru: full, it refuses "
                         "writes instead of dropping old answers")
        limit = container["resources"]["limits"].get("memory")
        if "maxmemory" not in settings or limit is None or \
                memory_bytes(settings["maxmemory"]) > 0.8 * memory_bytes(limit):
            problems.add(label, f"Redis maxmemory {settings.get('maxmemory')} is not below 80 % "
                         f"of its memory limit {limit}")


def config_of(docs):
    """The settings the Deployment reads (the ConfigMap its envFrom names)."""
    for deployment in find(docs, "Deployment", "tasks-manager"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for source in container.get("envFrom", []):
                name = source.get("configMapRef", {}).get("name")
                for config_map in find(docs, "ConfigMap", name):
                    return config_map.get("data", {})
    return {}


def check_rules(docs, label, problems):
    """promtool's syntax and semantics check of the PrometheusRules' groups."""
    if not shutil.which("promtool"):
        return
    for rule in find(docs, "PrometheusRule"):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as rules:
            yaml.safe_dump({"groups": rule["spec"]["groups"]}, rules)
            rules.flush()
            result = subprocess.run(["promtool", "check", "rules", rules.name],
                                    capture_output=True, text=True)
        if result.returncode != 0:
            problems.add(label, f"promtool check rules: {result.stdout}{result.stderr}".strip())


def exported_metrics(server):
    """The metric families a freshly started tasks-server declares (# TYPE) on /metrics."""
    # A Hub endpoint nothing listens on: the Hub cache's metrics exist, no request is made.
    process = subprocess.Popen(
        [server, "--listen_address=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
         "--hf_endpoint=http://127.0.0.1:9", "--log_format=text"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        for _ in range(200):  # lines until the start-up line; it comes within a second
            line = process.stdout.readline()
            match = re.search(r"metrics on port (\d+)", line)
            if match or not line:
                port = match and int(match.group(1))
                break
        if not port:
            raise SystemExit(f"{server}: no 'metrics on port' line")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
    families = {}
    for match in re.finditer(r"^# TYPE (\w+) (\w+)$", text, re.MULTILINE):
        families[match.group(1)] = match.group(2)
    return families


def check_metric_names(root, families, problems):
    """Each tasks_*/process_* name the monitoring files use is one the server exports."""
    components = root / "deploy/kubernetes/components"
    for path in sorted(components.rglob("*")):
        if path.suffix not in (".yaml", ".json") or not path.is_file():
            continue
        for name in sorted(set(re.findall(r"\b(?:tasks|process)_[a-z_]+", path.read_text()))):
            family = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in families and families.get(family) != "histogram" and \
                    not name.endswith("_"):  # a prefix in a regular expression
                problems.add(path.relative_to(root), f"{name}: no such metric on /metrics")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=pathlib.Path, default=HERE.parent.parent)
    parser.add_argument("--no-render", action="store_true", help="do not run kubectl")
    parser.add_argument("--server", help="a tasks-server binary: check the metric names")
    args = parser.parse_args()
    root = args.root.resolve()
    kube = root / "deploy/kubernetes"
    problems = Problems()
    schemas = Schemas()

    folders = sorted(p.parent for d in (kube, root / "deploy/sidecar")
                     for p in d.rglob("kustomization.yaml"))
    kustomizations = {f: check_kustomization(f, root, schemas, problems) for f in folders}
    components = [f for f, k in kustomizations.items() if k and k.get("kind") == "Component"]
    print(f"checked {len(folders)} kustomizations: "
          + ", ".join(str(f.relative_to(root)) for f in folders))

    production = kustomizations.get(kube / "overlays/production") or {}
    for image in production.get("images", []):
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", image.get("digest", "")):
            problems.add("deploy/kubernetes/overlays/production", f"{image['name']}: no digest")

    base = kube / "base"
    if shutil.which("kubectl") and not args.no_render:
        renders = [render(f, root, problems) for f in folders if f not in components]
        # Each component over what it patches, alone and with the others: the sidecar's over
        # the sidecar Job, the rest over the base.
        sidecar = root / "deploy/sidecar"
        for over in (base, sidecar):
            group = [c for c in components if c.is_relative_to(sidecar) == (over == sidecar)]
            renders += [render(over, root, problems, [c]) for c in group]
            if len(group) > 1:
                renders.append(render(over, root, problems, group))
        for label, docs in renders:
            if docs is None:
                continue
            before = len(problems.items)
            for doc in docs:
                schemas.validate(doc, label, problems)
            if len(problems.items) > before:
                continue  # the checks below read fields the schemas did not vouch for
            check_fleet_cache(docs, label, problems)
            if find(docs, "Deployment", "tasks-manager"):
                check_promises(docs, config_of(docs), label, problems)
                for config_map in find(docs, "ConfigMap"):
                    name = config_map["metadata"]["name"]
                    if name != "tasks-manager-dashboard" and not re.search(r"-[a-z0-9]{10}$", name):
                        problems.add(label, f"ConfigMap {name} has no content hash in its name")
            if "components/tls" in label:
                (deployment,) = find(docs, "Deployment", "tasks-manager")
                container = deployment["spec"]["template"]["spec"]["containers"][0]
                ports = {container[p]["grpc"]["port"]
                         for p in ("startupProbe", "readinessProbe", "livenessProbe")}
                if ports != {8081}:
                    problems.add(label, f"TLS, yet probes on {ports}, not the health port 8081")
            print(f"ok: rendered {label}: {len(docs)} objects")
    else:
        print("not rendered (kubectl not found or --no-render): files validated as written")
        docs = []
        for entry in kustomizations[base].get("resources", []):
            docs += load_yaml_docs((base / entry).read_text())
        (generator,) = [g for g in kustomizations[base]["configMapGenerator"]
                        if g["name"] == "tasks-manager-config"]
        if not problems.items:  # the checks read fields the schemas must vouch for first
            check_promises(docs, read_env_file(base / generator["envs"][0]),
                           "deploy/kubernetes/base", problems)

    if args.server:
        families = exported_metrics(args.server)
        check_metric_names(root, families, problems)
        print(f"checked the metric names against {len(families)} families on /metrics")

    for problem in problems.items:
        print(f"INVALID {problem}", file=sys.stderr)
    return 1 if problems.items else 0


if __name__ == "__main__":
    sys.exit(main())

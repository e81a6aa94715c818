#!/usr/bin/env python3
"""Write one Optimum generation's reference JSON (tests/reference/ format) from upstream sources.

Reads the upstream Python sources statically with `ast` (never imports Optimum, transformers,
diffusers or torch) and writes, in OUT:
    tasks.json, supported_model_types.json, transformers_auto_mappings.json, inference.json,
    backends/openvino.json, backends/neuron.json
in the layout described in tests/reference/README.md. The facts (tables, registrations, line
numbers, guards) come from the sources; the generation file (tools/generations/<name>.json) gives
the provenance of each source folder (repository, tag, commit, date) and the project's prose
annotations (notes, plain-language rule descriptions), which are this project's words and not
facts of the sources. An expression the tool cannot evaluate stops it with file:line.

Usage:
    python3 tools/registry_from_source.py --generation tools/generations/1.23.json \\
        --source optimum=DIR --source transformers=DIR --source diffusers=DIR \\
        --source optimum-intel=DIR --source optimum-neuron=DIR --out OUT
One --source per entry of the generation file's `sources`; each DIR is the root of an exported
source tree (git archive of the tag or commit named there). See tools/README.md "Registry pipeline" for the exact fetch/archive commands,
tools/check_registry_from_source.sh for the comparison with tests/reference/, and
tools/registry_from_reference.py for the next step (reference JSON -> data/registry/).
"""
import argparse
import ast
import copy
import json
import os
import sys

TASKS_PY = "optimum/exporters/tasks.py"
PAST = "-with-past"
# The order this project's reference files list the core libraries in (not an upstream order).
LIBRARIES = ("transformers", "diffusers", "timm", "sentence_transformers")


class SourceError(Exception):
    """An upstream construct the tool does not understand, with its file:line."""


def fail_at(path, node, message):
    """Stop with file:line of the node."""
    raise SourceError("%s:%d: %s" % (path, getattr(node, "lineno", 0), message))


# --- reading and evaluating sources ------------------------------------------------------------

class Source:
    """One parsed upstream file: its path relative to the source root and its syntax tree."""

    def __init__(self, root, rel):
        self.rel = rel
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            raise SourceError("%s: missing under %s" % (rel, root))
        with open(full, encoding="utf-8") as f:
            self.tree = ast.parse(f.read(), rel)


def guarded_statements(body, guards=()):
    """(statement, guards) for every statement of a body, descending into `if` blocks; guards
    are the source text of the enclosing conditions (`else` adds `not (...)`)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            cond = ast.unparse(stmt.test)
            yield from guarded_statements(stmt.body, guards + (cond,))
            yield from guarded_statements(stmt.orelse, guards + ("not (%s)" % cond,))
        else:
            yield stmt, list(guards)


def assigned_name(stmt):
    """The name a `NAME = value` (or annotated) statement binds, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(
            stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        return stmt.target.id
    return None


class Evaluator:
    """Evaluates the literal subset of Python the registries are written in: constants, tuples,
    lists, dicts, sets, OrderedDict([...]), names bound earlier, `*` unpacking, set `|`/`-`,
    `.keys()`, comprehensions with an `if`, and calls the caller handles (`calls`)."""

    def __init__(self, path, env=None, calls=None):
        self.path, self.env, self.calls = path, dict(env or {}), calls or {}

    def __call__(self, node):
        method = getattr(self, "eval_" + type(node).__name__, None)
        if method is None:
            fail_at(self.path, node, "cannot evaluate %s" % ast.unparse(node)[:80])
        return method(node)

    def eval_Constant(self, node):
        return node.value

    def items(self, elts):
        out = []
        for e in elts:
            if isinstance(e, ast.Starred):
                out.extend(self(e.value))
            else:
                out.append(self(e))
        return out

    def eval_Tuple(self, node):
        return tuple(self.items(node.elts))

    def eval_List(self, node):
        return self.items(node.elts)

    def eval_Set(self, node):
        return set(self.items(node.elts))

    def eval_Dict(self, node):
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                out.update(self(v))
            else:
                out[self(k)] = self(v)
        return out

    def eval_Name(self, node):
        if node.id not in self.env:
            fail_at(self.path, node, "name %s is not bound to a value the tool can read" % node.id)
        return self.env[node.id]

    def eval_BinOp(self, node):
        left, right = self(node.left), self(node.right)
        if isinstance(node.op, ast.BitOr):
            return left | right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Add):
            return left + right
        fail_at(self.path, node, "unsupported operator in %s" % ast.unparse(node)[:80])

    def eval_ListComp(self, node):
        if len(node.generators) != 1 or not isinstance(node.generators[0].target, ast.Name):
            fail_at(self.path, node, "unsupported comprehension")
        gen, out = node.generators[0], []
        for value in self(gen.iter):
            inner = Evaluator(self.path, dict(self.env, **{gen.target.id: value}), self.calls)
            if all(inner(cond) for cond in gen.ifs):
                out.append(inner(node.elt))
        return out

    def eval_Compare(self, node):
        if len(node.ops) != 1:
            fail_at(self.path, node, "chained comparison")
        left, right, op = self(node.left), self(node.comparators[0]), node.ops[0]
        ops = {ast.Eq: lambda: left == right, ast.NotEq: lambda: left != right,
               ast.In: lambda: left in right, ast.NotIn: lambda: left not in right}
        if type(op) not in ops:
            fail_at(self.path, node, "unsupported comparison")
        return ops[type(op)]()

    def eval_Call(self, node):
        func = ast.unparse(node.func)
        if func in self.calls:
            return self.calls[func](self, node)
        if func == "OrderedDict" and len(node.args) == 1 and not node.keywords:
            return dict(self(node.args[0]))
        if func in ("set", "tuple", "list") and len(node.args) == 1:
            return {"set": set, "tuple": tuple, "list": list}[func](self(node.args[0]))
        if isinstance(node.func, ast.Attribute) and node.func.attr == "keys" and not node.args:
            return list(self(node.func.value).keys())
        fail_at(self.path, node, "cannot evaluate call %s" % ast.unparse(node)[:80])


def source_block(path, stmt, guards):
    """The `source` object of the reference files: where an assignment is, under which ifs."""
    return {"file": path, "line": stmt.lineno, "end_line": stmt.end_lineno, "guards": guards}


# --- optimum/exporters/tasks.py -----------------------------------------------------------------

class TasksPy:
    """TasksManager's class body: every class-level assignment (with its guards), evaluated in
    source order the way Python executes the body when every guard holds."""

    def __init__(self, root):
        self.src = Source(root, TASKS_PY)
        self.module_functions, self.cls = {}, None
        for node in self.src.tree.body:
            if isinstance(node, ast.FunctionDef):
                self.module_functions[node.name] = node
            if isinstance(node, ast.ClassDef) and node.name == "TasksManager":
                self.cls = node
        if self.cls is None:
            raise SourceError("%s: no class TasksManager" % TASKS_PY)
        self.assignments = {}   # name -> [(stmt, guards)] in source order
        self.values = {}        # name -> value of its last evaluated (guarded or not) assignment
        self.final = {}         # name -> (stmt, guards) of the assignment that sets the value
        self.duplicates = []    # (registry attribute, line of the call, [repeated tasks])
        self.key_lines = {}     # (attribute, key) -> line of the key in the dict literal
        # The two mapping helpers import transformers/diffusers at run time; inference.json
        # computes their result from the auto and pipeline tables instead.
        calls = {"supported_tasks_mapping": self.supported_tasks_mapping,
                 "get_diffusers_tasks_to_model_mapping": lambda ev, node: None,
                 "get_transformers_tasks_to_model_mapping": lambda ev, node: None}
        ev = Evaluator(TASKS_PY, calls=calls)
        for stmt, guards in guarded_statements(self.cls.body):
            name = assigned_name(stmt)
            if name is None:
                continue
            self.assignments.setdefault(name, []).append((stmt, guards))
            self.current = name
            ev.env[name] = ev(stmt.value)
            self.values[name], self.final[name] = ev.env[name], (stmt, guards)
            if isinstance(stmt.value, ast.Dict):
                for k in stmt.value.keys:
                    if isinstance(k, ast.Constant):
                        self.key_lines[(name, k.value)] = k.lineno

    def supported_tasks_mapping(self, ev, node):
        """supported_tasks_mapping(*tasks, **exporters): exporter -> task -> config class; a task
        given as (task, (exporters...)) only for those exporters; a repeated task keeps its
        first position (dict assignment)."""
        tasks = []
        for arg in node.args:
            tasks.extend(ev(arg.value) if isinstance(arg, ast.Starred) else [ev(arg)])
        mapping = {}
        for kw in node.keywords:
            if kw.arg is None:
                fail_at(TASKS_PY, node, "** in supported_tasks_mapping")
            mapping[kw.arg] = {}
            for task in tasks:
                only = None
                if isinstance(task, tuple):
                    task, only = task
                if only is not None and kw.arg not in only:
                    continue
                mapping[kw.arg][task] = ev(kw.value)
        names = [t[0] if isinstance(t, tuple) else t for t in tasks]
        repeated = [t for i, t in enumerate(names) if t in names[:i]]
        if repeated:
            self.duplicates.append((self.current, node.lineno, list(dict.fromkeys(repeated))))
        return mapping

    def source(self, name):
        stmt, guards = self.final[name]
        return source_block(TASKS_PY, stmt, guards)


def method_ranges(tp):
    """Line ranges of TasksManager and its methods, and of the module-level helpers."""
    return {"file": TASKS_PY,
            "class_TasksManager": [tp.cls.lineno, tp.cls.end_lineno],
            "module_functions": {n: [f.lineno, f.end_lineno]
                                 for n, f in tp.module_functions.items()},
            "methods": {f.name: [f.lineno, f.end_lineno]
                        for f in tp.cls.body if isinstance(f, ast.FunctionDef)}}


def synonyms(tp):
    """TasksManager._SYNONYM_TASK_MAP: synonym -> canonical task."""
    return {"source": tp.source("_SYNONYM_TASK_MAP"), "map": tp.values["_SYNONYM_TASK_MAP"]}


def loader_tables(tp, auto, transformers_exports):
    """_LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP / _LIBRARY_TO_TF_TASKS_TO_MODEL_LOADER_MAP and the
    per-library loader tables they name: task -> auto class (or tuple of auto classes)."""
    out = {}
    for fw, attr, auto_fw in (("pt", "_LIBRARY_TO_TASKS_TO_MODEL_LOADER_MAP", "pt"),
                              ("tf", "_LIBRARY_TO_TF_TASKS_TO_MODEL_LOADER_MAP", "tf")):
        if attr not in tp.final:  # Optimum 2.x has no TensorFlow tables at all
            continue
        stmt, _ = tp.final[attr]
        tables = {k.value: v.id for k, v in zip(stmt.value.keys, stmt.value.values)}
        libraries = {}
        for lib in sorted(tables, key=LIBRARIES.index):
            table = tables[lib]
            tasks = {}
            for task, loader in tp.values[table].items():
                names = list(loader) if isinstance(loader, tuple) else [loader]
                loaders = []
                for name in names:
                    entry = {"class": name}
                    if lib == "transformers":
                        known = auto["frameworks"][auto_fw]["auto_classes"].get(name)
                        entry["auto_class_defined_in_transformers"] = known is not None
                        entry["exported_by_transformers"] = name in transformers_exports
                        entry["names_table"] = known["names_table"] if known else None
                    loaders.append(entry)
                tasks[task] = {"loaders": loaders, "multiple": isinstance(loader, tuple)}
            # get_model_class_for_task imports the library by its name.
            libraries[lib] = {"attribute": table, "source": tp.source(table),
                              "python_module": lib, "tasks": tasks}
        out[fw] = {"library_table_attribute": {"name": attr, "source": tp.source(attr)},
                   "library_order": sorted(libraries), "libraries": libraries}
    return out


def all_tasks(tp):
    """get_all_tasks(): the task keys of every loader table of the active framework (plus the
    custom-class tasks where the method reads _CUSTOM_CLASSES), for the package environments
    the guards of the loader tables distinguish."""
    def keys(*attrs):
        return sorted(set().union(*(tp.values[a] for a in attrs)))
    pt = ("_TRANSFORMERS_TASKS_TO_MODEL_LOADERS", "_TIMM_TASKS_TO_MODEL_LOADERS",
          "_SENTENCE_TRANSFORMERS_TASKS_TO_MODEL_LOADERS")
    out = {"torch_and_diffusers": keys(*pt, "_DIFFUSERS_TASKS_TO_MODEL_LOADERS"),
           "torch_without_diffusers": keys(*pt)}
    if "_TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS" in tp.values:
        out["tensorflow_only"] = keys("_TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS")
    method = next((f for f in tp.cls.body
                   if isinstance(f, ast.FunctionDef) and f.name == "get_all_tasks"), None)
    if method is None:
        fail_at(TASKS_PY, tp.cls, "TasksManager has no get_all_tasks method")
    names = [n for n in ast.walk(method) if isinstance(n, ast.Attribute)]
    if any(n.attr == "_CUSTOM_CLASSES" for n in names):
        # From Optimum 1.27 get_all_tasks() also lists the custom-class tasks: 1.27 only those
        # of the active framework (it compares the key's framework), 2.x all of them.
        by_framework = any(isinstance(n, ast.Compare) and "[0]" in ast.unparse(n.left)
                           for n in ast.walk(method))
        for env in out:
            fw = "tf" if env == "tensorflow_only" else "pt"
            extra = {k[2] for k in tp.values["_CUSTOM_CLASSES"] if not by_framework or k[0] == fw}
            out[env] = sorted(set(out[env]) | extra)
    return out


def custom_classes(tp):
    """TasksManager._CUSTOM_CLASSES: (framework, model_type, task) -> (library, class)."""
    return {"source": tp.source("_CUSTOM_CLASSES"),
            "entries": [{"framework": k[0], "model_type": k[1], "task": k[2], "library": v[0],
                         "class_name": v[1]} for k, v in tp.values["_CUSTOM_CLASSES"].items()]}


def table_guards(tp, ann):
    """Every class-level assignment of each TasksManager attribute, with its guards."""
    return {"note": ann("tasks.table_guards.note"), "attributes": {
        a: [{"line": s.lineno, "guards": g,
             "assigns_empty_dict": isinstance(s.value, ast.Dict) and not s.value.keys}
            for s, g in assignments] for a, assignments in tp.assignments.items()}}


def method_signatures(tp, ann):
    """Parameters and defaults of every TasksManager method as declared (self/cls omitted)."""
    methods = {}
    for f in tp.cls.body:
        if not isinstance(f, ast.FunctionDef):
            continue
        a = f.args
        params = []
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + a.defaults
        decorators = [ast.unparse(d) for d in f.decorator_list]
        skip = 0 if "staticmethod" in decorators else 1
        for arg, default in list(zip(positional, defaults))[skip:]:
            params.append(parameter(arg.arg, "positional_or_keyword", default))
        if a.vararg:
            params.append({"name": a.vararg.arg, "kind": "var_positional"})
        for arg, default in zip(a.kwonlyargs, a.kw_defaults):
            params.append(parameter(arg.arg, "keyword_only", default))
        if a.kwarg:
            params.append({"name": a.kwarg.arg, "kind": "var_keyword"})
        methods[f.name] = {"decorators": decorators, "parameters": params}
    return {"note": ann("tasks.method_signatures.note"), "methods": methods}


def parameter(name, kind, default):
    """One declared parameter: required, a literal default, or a default that is a name."""
    out = {"name": name, "kind": kind}
    if default is None:
        out["required"] = True
    elif isinstance(default, ast.Constant):
        out["default"] = default.value
    elif isinstance(default, ast.Name):
        out["default_name"] = default.id
    else:
        out["default"] = ast.unparse(default)
    return out


def tasks_json(gen, tp, auto, transformers_exports, ann):
    """tasks.json: tasks, synonyms, loaders, custom classes and the other TasksManager tables."""
    ml = loader_tables(tp, auto, transformers_exports)
    multi = {t: [l["class"] for l in e["loaders"]]
             for t, e in ml["pt"]["libraries"]["transformers"]["tasks"].items() if e["multiple"]}
    unsupported = tp.values["_UNSUPPORTED_CLI_MODEL_TYPE"]
    return {
        "schema_version": 1,
        "provenance": core_provenance(gen),
        "all_tasks": {"note": ann("tasks.all_tasks.note"),
                      "default_environment": "torch_and_diffusers",
                      "by_environment": all_tasks(tp)},
        "synonyms": synonyms(tp),
        "tasks_to_library": tasks_to_library(tp, ann),
        "model_loaders": ml,
        "custom_classes": custom_classes(tp),
        "multi_loader_resolution": {"note": ann("tasks.multi_loader_resolution.note"),
                                    "pt": multi},
        "encoder_decoder_tasks": {"source": tp.source("_ENCODER_DECODER_TASKS"),
                                  "tasks": sorted(tp.values["_ENCODER_DECODER_TASKS"])},
        "model_type_for_default_config": {"source": tp.source("_MODEL_TYPE_FOR_DEFAULT_CONFIG"),
                                          "map": tp.values["_MODEL_TYPE_FOR_DEFAULT_CONFIG"]},
        "cli_model_types": {"unsupported_source": tp.source("_UNSUPPORTED_CLI_MODEL_TYPE"),
                            "unsupported": sorted(unsupported),
                            "supported_source": tp.source("_SUPPORTED_CLI_MODEL_TYPE"),
                            "supported": sorted(tp.values["_SUPPORTED_CLI_MODEL_TYPE"])},
        "table_guards": table_guards(tp, ann),
        "source_index": method_ranges(tp),
        "method_signatures": method_signatures(tp, ann),
    }


def tasks_to_library(tp, ann):
    """TasksManager._TASKS_TO_LIBRARY, where the version has one."""
    if "_TASKS_TO_LIBRARY" not in tp.values:
        return {"present": False, "note": ann("tasks.tasks_to_library.note")}
    return {"present": True, "source": tp.source("_TASKS_TO_LIBRARY"),
            "map": tp.values["_TASKS_TO_LIBRARY"]}


# --- supported_model_types.json -------------------------------------------------------------------

def model_type_registries(tp):
    """_LIBRARY_TO_SUPPORTED_MODEL_TYPES and the four registries it names: model type ->
    exporter -> task -> config class name, with the source line of each model type."""
    stmt, _ = tp.final["_LIBRARY_TO_SUPPORTED_MODEL_TYPES"]
    order = [k.value for k in stmt.value.keys]
    attrs = {k.value: v.id for k, v in zip(stmt.value.keys, stmt.value.values)}
    libraries = {}
    for lib in LIBRARIES:
        attr = attrs[lib]
        libraries[lib] = {"attribute": attr, "source": tp.source(attr), "model_types": {
            mt: {"line": tp.key_lines[(attr, mt)], "exporters": exporters}
            for mt, exporters in tp.values[attr].items()}}
    return order, libraries


def registry_counts(libraries):
    """Model types, pairs and -with-past pairs per library and exporter."""
    counts = {}
    for lib, reg in libraries.items():
        per, pairs, past = {}, {}, {}
        for entry in reg["model_types"].values():
            for exp, task_map in entry["exporters"].items():
                per[exp] = per.get(exp, 0) + 1
                pairs[exp] = pairs.get(exp, 0) + len(task_map)
                past[exp] = past.get(exp, 0) + sum(t.endswith(PAST) for t in task_map)
        counts[lib] = {"model_types": len(reg["model_types"]), "model_types_per_exporter": per,
                       "model_type_task_pairs_per_exporter": pairs,
                       "with_past_pairs_per_exporter": past}
    return counts


class ConfigClasses:
    """Class definitions of the exporters' config modules: bases, ancestry (first base chain) and
    SUPPORTS_PAST (class attribute, inherited). `sources` is [(package, root, files)], base
    packages first; package is None where the definitions need no package name (one source)."""

    def __init__(self, sources):
        self.defs = {}  # name -> [(package, file, ClassDef, guards)]
        for package, root, files in sources:
            for rel in files:
                src = Source(root, rel)
                for stmt, guards in guarded_statements(src.tree.body):
                    if isinstance(stmt, ast.ClassDef):
                        self.defs.setdefault(stmt.name, []).append((package, rel, stmt, guards))

    def supports_past_own(self, cls):
        for stmt in cls.body:
            if assigned_name(stmt) == "SUPPORTS_PAST" and isinstance(stmt.value, ast.Constant):
                return stmt.value.value
        return None

    def ancestry(self, cls, rel):
        """(class names from cls up the first-base chain, SUPPORTS_PAST); rel: cls's file."""
        chain, past = [cls.name], self.supports_past_own(cls)
        node = cls
        while node.bases:
            first = node.bases[0]
            if isinstance(first, ast.IfExp):
                # `class C(A if is_transformers_version(...) else B)`: the chain follows A; both
                # branches must agree on SUPPORTS_PAST or the answer depends on the environment.
                branches = [self.ancestry(self.defs[b][-1][2], self.defs[b][-1][1]) for b in
                            (ast.unparse(first.body), ast.unparse(first.orelse))
                            if b in self.defs]
                if len(branches) != 2 or branches[0][1] != branches[1][1]:
                    fail_at(rel, node, "the base class of %s is conditional and its branches "
                            "differ in SUPPORTS_PAST" % node.name)
                chain += branches[0][0]
                past = branches[0][1] if past is None else past
                break
            base = ast.unparse(first).split(".")[-1]
            if base not in self.defs:
                break
            chain.append(base)
            _, rel, node, _ = self.defs[base][-1]
            if past is None:
                past = self.supports_past_own(node)
        return chain, bool(past)

    def describe(self, name):
        if name not in self.defs:
            raise SourceError("config class %s is not defined in the scanned files" % name)
        definitions = []
        for package, rel, cls, _ in self.defs[name]:
            chain, past = self.ancestry(cls, rel)
            where = {"package": package} if package else {}
            definitions.append(dict(where, file=rel, line=cls.lineno,
                                    bases=[ast.unparse(b) for b in cls.bases],
                                    ancestry=chain, supports_past=past))
        return {"definitions": definitions, "conditionally_defined": len(definitions) > 1
                or any(g for _, _, _, g in self.defs[name]),
                "supports_past": any(d["supports_past"] for d in definitions)}


def config_class_table(classes, registry):
    """Every config class a registry (library -> model type -> exporter -> task -> class)
    names, described; and the `-with-past` tasks whose class does not support past."""
    names = sorted({c for mts in registry.values() for exporters in mts.values()
                    for task_map in exporters.values() for c in task_map.values()})
    table = {n: classes.describe(n) for n in names}
    violations = [{"library": lib, "model_type": mt, "task": t, "class": c}
                  for lib, mts in registry.items() for mt, exporters in mts.items()
                  for task_map in exporters.values() for t, c in task_map.items()
                  if t.endswith(PAST) and not table[c]["supports_past"]]
    return table, violations


def exporter_availability(tp, ann):
    """is_backend_available(): the exporter keys of its dict must be those the annotation
    describes; the line range is read from the source."""
    described = dict(ann("supported_model_types.exporter_availability"))
    func = tp.module_functions.get("is_backend_available")
    if func is None:  # Optimum 2.x: the backends register themselves, nothing to check
        described["source"] = None
        return described
    keys = [k.value for n in ast.walk(func) if isinstance(n, ast.Dict) for k in n.keys]
    if sorted(keys) != sorted(k for k in described if k not in ("note", "source")):
        fail_at(TASKS_PY, func, "is_backend_available() knows %s; the generation file "
                "describes others" % keys)
    described["source"] = {"file": TASKS_PY, "function": func.name,
                           "lines": [func.lineno, func.end_lineno]}
    return described


def check_rule_literals(tp, marker_files, methods):
    """The marker file names the rule annotations cite must be string literals of the cited
    methods, so an upstream change to them stops the tool instead of going unnoticed."""
    literals = set()
    for f in tp.cls.body:
        if isinstance(f, ast.FunctionDef) and f.name in methods:
            literals |= {n.value for n in ast.walk(f)
                         if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    cited = marker_files["exact"] + marker_files["prefix"] + sum(
        marker_files["config_json_keys"].values(), [])
    missing = [c for c in cited if c not in literals]
    if missing:
        raise SourceError("%s: %s no longer occur in %s" % (TASKS_PY, missing, methods))


def supported_model_types_json(gen, tp, optimum_root, ann):
    """supported_model_types.json: the four core model-type registries and their classes."""
    order, libraries = model_type_registries(tp)
    classes = ConfigClasses([(None, optimum_root, python_files(optimum_root, "optimum/exporters"))])
    registry = {lib: {mt: e["exporters"] for mt, e in reg["model_types"].items()}
                for lib, reg in libraries.items()}
    config_classes, violations = config_class_table(classes, registry)
    duplicates = []
    for attr, line, tasks in tp.duplicates:
        # The call starts on its model type's key line: `"roformer": supported_tasks_mapping(`.
        mt = next(m for (a, m), l in tp.key_lines.items() if a == attr and l == line)
        duplicates.append({"registry": attr, "model_type": mt, "duplicate_tasks": tasks,
                           "line": line})
    return {"schema_version": 1, "provenance": core_provenance(gen),
            "exporter_availability": exporter_availability(tp, ann),
            "task_value_semantics": ann("supported_model_types.task_value_semantics"),
            "library_registry_order": order, "libraries": libraries,
            "config_classes": config_classes,
            "counts": registry_counts(libraries), "duplicates_in_source": duplicates,
            "with_past_support_violations": violations}


def python_files(root, folder):
    """Every .py file under root/folder, sorted (relative paths)."""
    out = []
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        out += [os.path.relpath(os.path.join(dirpath, n), root) for n in names if n.endswith(".py")]
    return sorted(out)


# --- transformers ------------------------------------------------------------------------------

def auto_framework(root, rel, names_suffix="_MAPPING_NAMES"):
    """modeling_auto.py / modeling_tf_auto.py: every *_MAPPING_NAMES OrderedDict, every
    X_MAPPING = _LazyAutoMapping(CONFIG_MAPPING_NAMES, X_MAPPING_NAMES) and every auto class
    `class AutoX(_BaseAutoModelClass): _model_mapping = X_MAPPING`."""
    src = Source(root, rel)
    ev = Evaluator(rel)
    names_tables, lazy, auto_classes = {}, {}, {}
    for stmt in src.tree.body:
        name = assigned_name(stmt)
        if name and name.endswith(names_suffix):
            names_tables[name] = {"line": stmt.lineno, "entries": ev(stmt.value)}
            ev.env[name] = names_tables[name]["entries"]
        elif name and isinstance(stmt.value, ast.Call) and \
                ast.unparse(stmt.value.func) == "_LazyAutoMapping":
            lazy[name] = stmt.value.args[1].id
        elif isinstance(stmt, ast.ClassDef):
            inherited = [auto_classes[b.id] for b in stmt.bases
                         if isinstance(b, ast.Name) and b.id in auto_classes]
            if inherited and not stmt.name.startswith("_"):  # e.g. a deprecated alias class
                auto_classes[stmt.name] = dict(inherited[0], line=stmt.lineno)
            for inner in stmt.body:
                if assigned_name(inner) == "_model_mapping":
                    mapping = inner.value.id
                    if mapping not in lazy:
                        fail_at(rel, inner, "%s is not a _LazyAutoMapping" % mapping)
                    auto_classes[stmt.name] = {"line": stmt.lineno, "lazy_mapping": mapping,
                                               "names_table": lazy[mapping]}
    return {"file": rel, "auto_classes": auto_classes, "names_tables": names_tables}


def transformers_constants(root):
    """transformers.utils' *_NAME file-name constants (string literals or aliases)."""
    rel = "src/transformers/utils/__init__.py"
    src, out = Source(root, rel), {}
    for stmt in src.tree.body:
        name = assigned_name(stmt)
        if name and name.endswith("_NAME"):
            if isinstance(stmt.value, ast.Constant):
                out[name] = {"value": stmt.value.value, "line": stmt.lineno}
            elif isinstance(stmt.value, ast.Name) and stmt.value.id in out:
                out[name] = {"value": out[stmt.value.id]["value"], "line": stmt.lineno}
    return out


def transformers_version(root):
    """transformers' `__version__` string as written in its tree."""
    src = Source(root, "src/transformers/__init__.py")
    for stmt in src.tree.body:
        if assigned_name(stmt) == "__version__":
            return stmt.value.value
    raise SourceError("src/transformers/__init__.py: no __version__")


def transformers_exports(root):
    """Every string literal of transformers/__init__.py (its lazy _import_structure names)."""
    src = Source(root, "src/transformers/__init__.py")
    return {n.value for n in ast.walk(src.tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def auto_mappings_json(gen, root, ann):
    """transformers_auto_mappings.json: auto classes and names tables, PT and TF."""
    frameworks = {"pt": auto_framework(root, "src/transformers/models/auto/modeling_auto.py")}
    tf = "src/transformers/models/auto/modeling_tf_auto.py"
    if os.path.isfile(os.path.join(root, tf)):  # gone once transformers dropped TensorFlow
        frameworks["tf"] = auto_framework(root, tf)
    counts = {fw: {"auto_classes": len(f["auto_classes"]), "names_tables": len(f["names_tables"]),
                   "entries": sum(len(t["entries"]) for t in f["names_tables"].values())}
              for fw, f in frameworks.items()}
    return {"schema_version": 1, "provenance": gen["provenance"]["transformers"],
            "transformers_version_string_in_tree": transformers_version(root),
            "note": ann("auto.note"), "frameworks": frameworks,
            "constants": transformers_constants(root), "counts": counts}


# --- inference.json --------------------------------------------------------------------------------

def task_model_mappings(tp, auto):
    """get_transformers_tasks_to_model_mapping(): per task, the union of the names tables of
    its auto classes in loader order; loaders transformers does not define are listed apart."""
    out, missing = {}, {}
    for fw, attr in (("pt", "_TRANSFORMERS_TASKS_TO_MODEL_LOADERS"),
                     ("tf", "_TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS")):
        if attr not in tp.values or fw not in auto["frameworks"]:
            continue
        f = auto["frameworks"][fw]
        out[fw], missing[fw] = {}, []
        for task, loaders in tp.values[attr].items():
            merged = {}
            for loader in loaders if isinstance(loaders, tuple) else (loaders,):
                if loader not in f["auto_classes"]:
                    missing[fw].append({"task": task, "loader": loader})
                    continue
                merged.update(f["names_tables"][f["auto_classes"][loader]["names_table"]]
                              ["entries"])
            out[fw][task] = merged
    return out, missing


def diffusers_pipelines(root):
    """diffusers' AUTO_*_PIPELINES_MAPPING OrderedDicts (auto_pipeline.py), including the
    entries added under an `if` at module level (their condition recorded)."""
    rel = "src/diffusers/pipelines/auto_pipeline.py"
    src = Source(root, rel)
    tables, lines = {}, {}
    for stmt, guards in guarded_statements(src.tree.body):
        name = assigned_name(stmt)
        if name and name.endswith("PIPELINES_MAPPING") and isinstance(stmt.value, ast.Call):
            entries = stmt.value.args[0]
            tables[name] = {e.elts[0].value: {"class": e.elts[1].id, "condition": None}
                            for e in entries.elts}
            lines[name] = stmt.lineno
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Subscript):
            table = ast.unparse(stmt.targets[0].value)
            if table in tables:
                key = stmt.targets[0].slice.value
                tables[table][key] = {"class": stmt.value.id,
                                      "condition": " and ".join(guards) or None}
    return tables, lines


def inference_json(gen, tp, auto, diffusers_root, ann):
    """inference.json: weight file names, per-task model classes, diffusers pipeline tables;
    the rule descriptions are the project's annotations."""
    consts = auto["constants"]
    # The weight-file constants tasks.py imports from transformers.utils (TF2_WEIGHTS_NAME only
    # while Optimum has TensorFlow), and config.json's name, which the rules test for.
    imported = {a.name for n in tp.src.tree.body if isinstance(n, ast.ImportFrom)
                and n.module == "transformers.utils" for a in n.names}
    weights = {}
    for name in ("WEIGHTS_NAME", "SAFE_WEIGHTS_NAME", "TF2_WEIGHTS_NAME", "CONFIG_NAME"):
        if name != "CONFIG_NAME" and name not in imported:
            continue
        if name not in consts:
            raise SourceError("src/transformers/utils/__init__.py: no %s, which %s imports"
                              % (name, TASKS_PY))
        value = consts[name]["value"]
        stem, dot, suffix = value.rpartition(".")
        weights[name] = {"value": value, "stem": stem, "suffix": dot + suffix,
                         "transformers_line": consts[name]["line"]}
    mappings, missing = task_model_mappings(tp, auto)
    tables, lines = diffusers_pipelines(diffusers_root)
    dmap = {task: tables[table] for task, table in (
        ("text-to-image", "AUTO_TEXT2IMAGE_PIPELINES_MAPPING"),
        ("image-to-image", "AUTO_IMAGE2IMAGE_PIPELINES_MAPPING"),
        ("inpainting", "AUTO_INPAINT_PIPELINES_MAPPING"))}
    out = {"schema_version": 1, "provenance": core_provenance(gen),
           "weight_file_names": weights}
    # The rules' plain-language descriptions are annotations; their line ranges are read here.
    methods = method_ranges(tp)["methods"]
    for key, method in (("determine_framework", "determine_framework"),
                        ("infer_library", "_infer_library_from_model_name_or_path"),
                        ("marker_files", None),
                        ("infer_task", "_infer_task_from_model_name_or_path")):
        out[key] = dict(ann("inference." + key))
        if method:
            out[key] = dict({"method": methods[method]}, **out[key])
    check_rule_literals(tp, out["marker_files"], (
        "determine_framework", "_infer_library_from_model_name_or_path",
        "_infer_task_from_model_name_or_path", "get_model_files"))
    out["transformers_tasks_to_model_mappings"] = {"note": ann("inference.transformers_note")}
    for fw in mappings:
        out["transformers_tasks_to_model_mappings"].update(
            {fw: mappings[fw], fw + "_missing_loaders": missing[fw]})
    out["diffusers_tasks_to_model_mappings"] = {
        "note": ann("inference.diffusers_note"),
        "diffusers_file": "src/diffusers/pipelines/auto_pipeline.py",
        "diffusers_lines": lines, "map": dmap}
    out["counts"] = {}
    for fw in mappings:
        out["counts"].update({"transformers_%s_tasks" % fw: len(mappings[fw]),
                              "transformers_%s_pairs" % fw: sum(map(len, mappings[fw].values()))})
    out["counts"]["diffusers_pairs"] = {t: len(m) for t, m in dmap.items()}
    return out


# --- backends ------------------------------------------------------------------------------------

def backend_registrations(root, files, backend):
    """Every `X = TasksManager.create_register("<backend>", overwrite_existing=...)` and every
    class decorated with `@X("model_type", *tasks, library_name=...)`, in file then source
    order; module-level names the decorator arguments use are evaluated when needed."""
    calls, decorations = [], []
    for rel in files:
        src = Source(root, rel)
        ev = Evaluator(rel)
        registers = {}
        for stmt, guards in guarded_statements(src.tree.body):
            name = assigned_name(stmt)
            if name and isinstance(stmt.value, ast.Call) and \
                    ast.unparse(stmt.value.func) == "TasksManager.create_register":
                kw = {k.arg: ev(k.value) for k in stmt.value.keywords}
                args = [ev(a) for a in stmt.value.args]
                overwrite = args[1] if len(args) > 1 else kw.get("overwrite_existing", False)
                registers[name] = (args[0], overwrite)
                calls.append({"file": rel, "line": stmt.lineno, "backend": args[0],
                              "overwrite_existing": overwrite})
            elif name:
                try:
                    ev.env[name] = Evaluator(rel, ev.env)(stmt.value)
                except SourceError:
                    pass  # not a literal; an error only if a decorator uses it
            elif isinstance(stmt, ast.ClassDef):
                for d in stmt.decorator_list:
                    if isinstance(d, ast.Call) and ast.unparse(d.func) in registers:
                        decorations.append(decoration(ev, rel, stmt, d, guards,
                                                      registers[ast.unparse(d.func)]))
    return calls, decorations


def decoration(ev, rel, cls, call, guards, register):
    """One `@register("model_type", *tasks, library_name=...)` on a class."""
    args = ev.items(call.args)
    kw = {k.arg: ev(k.value) for k in call.keywords}
    return {"file": rel, "line": call.lineno, "class": cls.name, "backend": register[0],
            "overwrite_existing": register[1], "model_type": args[0], "tasks": list(args[1:]),
            "library_name": kw.get("library_name", "transformers"), "guards": guards}


def tasks_manager_attribute(node):
    """`TasksManager.<attr>` -> attr, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
            node.value.id == "TasksManager":
        return node.attr
    return None


def subscript_chain(node):
    """`TasksManager.T[k1][k2]` -> ("T", [k1 node, k2 node]), else (None, None)."""
    keys = []
    while isinstance(node, ast.Subscript):
        keys.insert(0, node.slice)
        node = node.value
    table = tasks_manager_attribute(node)
    return (table, keys) if table and keys else (None, None)


def side_effects(root, files):
    """Direct writes into TasksManager's tables: `TasksManager.T[key] = value` and
    `setattr(TasksManager, ...)`, anywhere in the files (ast.walk order: breadth first)."""
    out = []
    for rel in files:
        src, ev = Source(root, rel), Evaluator(rel)
        for node in ast.walk(src.tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                table, keys = subscript_chain(node.targets[0])
                if table is None:
                    continue
                src_table, src_keys = subscript_chain(node.value)
                if src_table:
                    value = {"same_object_as": {"table": src_table,
                                                "key": [ev(k) for k in src_keys]}}
                else:
                    value = {"literal": ev(node.value)}
                out.append({"file": rel, "line": node.lineno, "kind": "item_assignment",
                            "table": table, "key": [ev(k) for k in keys], "value": value})
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "setattr" and \
                    node.args and ast.unparse(node.args[0]) == "TasksManager":
                name = node.args[1]
                if isinstance(name, ast.Constant):
                    out.append({"file": rel, "line": node.lineno, "kind": "setattr",
                                "table": name.value, "key": None, "value": None})
                else:
                    out.append({"file": rel, "line": node.lineno,
                                "kind": "setattr_with_computed_name", "table": None,
                                "key": None, "value": None})
    return json.loads(json.dumps(out))  # tuples as lists, as in JSON


def apply_registrations(registry, decorations):
    """create_register's rule: library -> model type -> task -> class; an existing task is
    replaced only when the register was created with overwrite_existing."""
    for d in decorations:
        task_map = registry.setdefault(d["library_name"], {}).setdefault(d["model_type"], {})
        for task in d["tasks"]:
            if d["overwrite_existing"] or task not in task_map:
                task_map[task] = d["class"]
    return registry


def backend_json(gen, name, roots, core, all_tasks_pt, ann):
    """backends/<name>.json: the backend's registrations (and, for openvino, the registry
    optimum-intel builds by copying the onnx entries first). `core` is the four core
    registries as they stand when the backend is imported."""
    spec = gen["backends"][name]
    root = roots[spec["source"]]
    calls, decorations = backend_registrations(root, spec["files"], name)
    registered = apply_registrations({}, decorations)
    out = {"schema_version": 1, "backend": name, "repository": spec["repository"],
           "register_calls": calls, "registered_by_decorators": registered,
           "decorations": decorations}
    if spec.get("registers_core_exporter"):
        # The core exporter's classes (and SUPPORTS_PAST): in Optimum 2.x they live in the
        # backend package, derived from the base classes of optimum itself; in Optimum 1.27 the
        # backend is optimum itself (its onnx decorators), one package.
        packages = ["optimum"] if spec["source"] == "optimum" else ["optimum", spec["source"]]
        classes = ConfigClasses([
            (package if len(packages) > 1 else None, roots[package],
             python_files(roots[package], "optimum/exporters")) for package in packages])
        out["config_classes"], out["with_past_support_violations"] = config_class_table(
            classes, {lib: {mt: {name: t} for mt, t in mts.items()}
                      for lib, mts in registered.items()})
    if spec.get("copies_onnx_entries"):
        effective = {lib: {mt: copy.deepcopy(e["exporters"]["onnx"])
                           for mt, e in reg["model_types"].items() if "onnx" in e["exporters"]}
                     for lib, reg in core.items()}
        out["effective_registry_note"] = ann("backend.%s.effective_registry_note" % name)
        out["effective_registry"] = apply_registrations(effective, decorations)
    out["notes"] = ann("backend.%s.notes" % name)
    out["model_types_not_in_core_registries"] = [
        {"library": lib, "model_type": mt} for lib, mts in registered.items() for mt in mts
        if mt not in core.get(lib, {}).get("model_types", {})]
    effects = side_effects(root, spec["files"])
    out["tasks_manager_side_effects"] = effects
    added = {e["key"][0] for e in effects if e["table"] == "_TRANSFORMERS_TASKS_TO_MODEL_LOADERS"}
    out["tasks_outside_core_get_all_tasks"] = sorted(
        ({t.replace(PAST, "") for d in decorations for t in d["tasks"]} | added)
        - set(all_tasks_pt))
    out["unresolved_decorators"] = []
    by_lib = {lib: len(m) for lib, m in registered.items()}
    pairs_by_lib = {}
    for d in decorations:
        pairs_by_lib[d["library_name"]] = pairs_by_lib.get(d["library_name"], 0) + len(d["tasks"])
    counts = {"decorated_classes": len(decorations), "model_types_by_library": by_lib,
              "model_type_task_pairs": sum(pairs_by_lib.values()),
              "model_type_task_pairs_by_library": pairs_by_lib,
              "conditional_decorations": sum(bool(d["guards"]) for d in decorations),
              "unresolved_decorators": 0}
    if "effective_registry" in out:
        counts["effective_model_type_task_pairs"] = sum(
            len(t) for reg in out["effective_registry"].values() for t in reg.values())
    out["counts"] = counts
    return out


# --- rules.json -----------------------------------------------------------------------------------

def method_node(tp, name):
    node = next((f for f in tp.cls.body if isinstance(f, ast.FunctionDef) and f.name == name),
                None)
    if node is None:
        fail_at(TASKS_PY, tp.cls, "TasksManager has no method %s" % name)
    return node


def evidence(node):
    return {"file": TASKS_PY, "line": node.lineno, "code": ast.unparse(node)}


def model_type_keys_rule(tp):
    """get_supported_tasks_for_model_type lower-cases the queried model type and replaces '_'
    by '-' (Optimum 1.x, registries keyed that way) or uses it as given (exact keys)."""
    method = method_node(tp, "get_supported_tasks_for_model_type")
    for node in ast.walk(method):
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "model_type" \
                and ast.unparse(node.value).startswith("model_type."):
            code = ast.unparse(node.value)
            if code == "model_type.lower().replace('_', '-')":
                return {"value": "lower_dash", "evidence": evidence(node)}
            fail_at(TASKS_PY, node, "unknown model type normalization %s" % code)
    return {"value": "exact", "evidence": {"file": TASKS_PY, "line": method.lineno,
                                           "code": "%s does not rewrite model_type"
                                                   % method.name}}


def rules_json(gen, tp, tasks, backends, smt, ann):
    """rules.json: the behavioural switches of the generation, each read from the sources with
    the line that shows it, and the upstream change the generation file cites for it."""
    loaders = tasks["model_loaders"]
    tf = "tf" in loaders
    infer = tasks["method_signatures"]["methods"]["infer_task_from_model"]["parameters"]
    all_tasks_method = method_node(tp, "get_all_tasks")
    custom = [n for n in ast.walk(all_tasks_method)
              if isinstance(n, ast.Attribute) and n.attr == "_CUSTOM_CLASSES"]
    by_framework = any(isinstance(n, ast.Compare) and "[0]" in ast.unparse(n.left)
                       for n in ast.walk(all_tasks_method))
    core = [e for e in smt["exporter_availability"] if e not in ("note", "source")] \
        if smt["exporter_availability"]["source"] else []
    rules = {
        "model_type_keys": model_type_keys_rule(tp),
        "frameworks": {"value": ["pt", "tf"] if tf else ["pt"], "evidence": {
            "file": TASKS_PY, "code": "TasksManager._TRANSFORMERS_TASKS_TO_TF_MODEL_LOADERS "
            + ("defined" if tf else "not defined"), "line": loaders["tf" if tf else "pt"][
                "libraries"]["transformers"]["source"]["line"]}},
        "get_all_tasks_custom_class_tasks": {
            "value": ("active_framework" if by_framework else "all") if custom else "none",
            "evidence": {"file": TASKS_PY, "line": (custom[0] if custom else all_tasks_method)
                         .lineno, "code": "get_all_tasks reads _CUSTOM_CLASSES" if custom
                         else "get_all_tasks does not read _CUSTOM_CLASSES"}},
        "infer_task_from_model_library_name": {
            "value": any(p["name"] == "library_name" for p in infer),
            "evidence": {"file": TASKS_PY, "line": method_node(tp, "infer_task_from_model")
                         .lineno, "code": "infer_task_from_model(%s)" % ", ".join(
                             p["name"] for p in infer)}},
        "exporters": {"value": core + [b for b in backends if b not in core], "evidence": {
            "file": TASKS_PY, "code": "is_backend_available() and the generation's backends"
            if core else "the generation's backends (Optimum 2.x has no core exporter)"}},
        "core_exporters": {"value": core + [b for b, spec in backends.items()
                                            if spec.get("registers_core_exporter")
                                            and b not in core],
                           "evidence": {"file": TASKS_PY, "code": "is_backend_available()"
                                        if core else "backends that fill the core registries"}},
    }
    for name, rule in rules.items():
        rule["upstream"] = ann("rules.%s.upstream" % name)
    return {"schema_version": 1, "generation": gen["name"], "provenance": core_provenance(gen),
            "rules": rules}


# --- main ----------------------------------------------------------------------------------------

def core_provenance(gen):
    """The provenance block of the four core files (the generation file's, unchanged)."""
    return {k: gen["provenance"][k] for k in ("optimum", "transformers", "diffusers",
                                              "huggingface_hub")}


def annotations(gen):
    """The generation file's prose and project-chosen values, by key; a missing key stops."""
    table = gen.get("annotations", {})

    def ann(key):
        if key not in table:
            raise SourceError("generation file has no annotation %r" % key)
        return table[key]
    return ann


def check_provenance(gen):
    """Each source's pinned commit must be the one the written provenance names."""
    named = {name: gen["provenance"][name]["commit"]
             for name in ("optimum", "transformers", "diffusers")}
    named.update({spec["source"]: spec["repository"]["commit"]
                  for spec in gen["backends"].values()})
    for name, commit in named.items():
        if gen["sources"][name]["commit"] != commit:
            raise SourceError("generation file: sources.%s.commit %s differs from the "
                              "provenance's %s" % (name, gen["sources"][name]["commit"], commit))


def build(gen, roots):
    """All output files of a generation, by relative path; nothing is written on error."""
    check_provenance(gen)
    ann = annotations(gen)
    tp = TasksPy(roots["optimum"])
    auto = auto_mappings_json(gen, roots["transformers"], ann)
    exports = transformers_exports(roots["transformers"])
    tasks = tasks_json(gen, tp, auto, exports, ann)
    smt = supported_model_types_json(gen, tp, roots["optimum"], ann)
    files = {"tasks.json": tasks, "supported_model_types.json": smt,
             "transformers_auto_mappings.json": auto,
             "inference.json": inference_json(gen, tp, auto, roots["diffusers"], ann)}
    files["rules.json"] = rules_json(gen, tp, tasks, gen["backends"], smt, ann)
    pt_tasks = tasks["all_tasks"]["by_environment"]["torch_and_diffusers"]
    core = smt["libraries"]
    for name, spec in gen["backends"].items():
        out = backend_json(gen, name, roots, core, pt_tasks, ann)
        files["backends/%s.json" % name] = out
        if spec.get("registers_core_exporter"):
            # optimum-onnx (Optimum 2.x) fills the core registries through create_register;
            # the backends imported after it see those entries.
            core = copy.deepcopy(core)
            for lib, mts in out["registered_by_decorators"].items():
                for mt, task_map in mts.items():
                    core.setdefault(lib, {"model_types": {}})["model_types"].setdefault(
                        mt, {"exporters": {}})["exporters"][name] = task_map
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--generation", required=True, help="tools/generations/<name>.json")
    parser.add_argument("--source", action="append", default=[], metavar="NAME=DIR",
                        help="source root of each entry of the generation's `sources`")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.generation, encoding="utf-8") as f:
        gen = json.load(f)
    roots = dict(s.split("=", 1) for s in args.source)
    missing = sorted(set(gen["sources"]) - set(roots))
    if missing:
        parser.error("no --source for %s" % ", ".join(missing))
    try:
        files = build(gen, roots)
    except SourceError as e:
        sys.exit("registry_from_source: %s" % e)
    for rel, data in files.items():
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print("registry_from_source: wrote %s" % ", ".join(files))


if __name__ == "__main__":
    main()

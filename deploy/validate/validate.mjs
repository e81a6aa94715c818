// Validates every YAML document under the given directories against the Kubernetes schemas
// shipped by the npm package kubernetes-models, and checks kustomization.yaml `resources`.
// Usage: node validate.mjs <modules-dir> <repo-root> <dir>...   (run by validate_manifests.sh)
import { createRequire } from "node:module";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [modulesDir, repoRoot, ...dirs] = process.argv.slice(2);
if (!modulesDir || !repoRoot || dirs.length === 0) {
  console.error("usage: node validate.mjs <modules-dir> <repo-root> <dir>...");
  process.exit(2);
}
// The packages live outside the repository, in the validation cache.
const require = createRequire(join(modulesDir, "package.json"));
const importPkg = async (spec) => import(pathToFileURL(require.resolve(spec)).href);
// kubernetes-models' "exports" only has "import" conditions, which require.resolve can't use:
// build the file path from the package root.
const modelsRoot = join(modulesDir, "node_modules", "kubernetes-models");
if (!existsSync(join(modelsRoot, "package.json"))) {
  console.error(`kubernetes-models is not installed in ${modulesDir}`);
  process.exit(2);
}
const YAML = await importPkg("yaml");

const problems = [];
let checked = 0;
const problem = (file, doc, message) =>
  problems.push(`${relative(repoRoot, file)}${doc === null ? "" : ` [document ${doc}]`}: ${message}`);

function yamlFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

// apiVersion + kind -> kubernetes-models module: "apps/v1" -> apps/v1/Deployment.mjs (4.x;
// .js in 5.x), core "v1" -> v1/Service.mjs.
async function modelFor(apiVersion, kind) {
  for (const extension of [".mjs", ".js"]) {
    const file = join(modelsRoot, ...apiVersion.split("/"), `${kind}${extension}`);
    if (!existsSync(file)) continue;
    const module = await import(pathToFileURL(file).href);
    return module[kind] ?? module.default?.[kind] ?? null;
  }
  return null;
}

function checkKustomization(file, doc, index) {
  const dir = dirname(file);
  for (const key of ["resources", "components", "patches"]) {
    const list = doc[key] ?? [];
    if (!Array.isArray(list)) { problem(file, index, `${key} must be a list`); continue; }
    for (const item of list) {
      const path = typeof item === "string" ? item : item?.path;
      if (typeof path !== "string") continue;
      if (/^[a-z]+:\/\//.test(path)) continue; // remote bases are not checked offline
      if (!existsSync(resolve(dir, path))) problem(file, index, `${key}: ${path} does not exist`);
    }
  }
  for (const [i, image] of (doc.images ?? []).entries()) {
    if (typeof image?.name !== "string") problem(file, index, `images[${i}] has no name`);
  }
  // Every manifest in the folder should be deployed or be a documented example.
  const listed = new Set((doc.resources ?? []).map((r) => resolve(dir, r)));
  for (const other of yamlFiles(dir)) {
    if (other === file || listed.has(other) || /\.example\.ya?ml$/.test(other)) continue;
    if (dirname(other) === dir) problem(file, index, `${relative(dir, other)} is not in resources`);
  }
}

for (const dir of dirs) {
  for (const file of yamlFiles(resolve(repoRoot, dir))) {
    let docs;
    try {
      docs = YAML.parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true });
    } catch (error) {
      problem(file, null, `cannot be read: ${error.message}`);
      continue;
    }
    for (const [index, parsed] of docs.entries()) {
      if (parsed.errors.length) {
        for (const error of parsed.errors) problem(file, index, `YAML: ${error.message}`);
        continue;
      }
      for (const warning of parsed.warnings) problem(file, index, `YAML: ${warning.message}`);
      const doc = parsed.toJS();
      if (doc === null || doc === undefined) continue; // empty document
      if (typeof doc !== "object" || Array.isArray(doc)) {
        problem(file, index, "is not a mapping");
        continue;
      }
      const { apiVersion, kind } = doc;
      if (typeof apiVersion !== "string" || typeof kind !== "string") {
        problem(file, index, "has no apiVersion/kind");
        continue;
      }
      checked++;
      if ((kind === "Kustomization" || kind === "Component") &&
          apiVersion.startsWith("kustomize.config.k8s.io/")) {
        checkKustomization(file, doc, index);
        continue;
      }
      const name = doc.metadata?.name ?? doc.metadata?.generateName;
      if (typeof name !== "string" || name === "") problem(file, index, `${kind} has no metadata.name`);
      const Model = await modelFor(apiVersion, kind);
      if (!Model) {
        problem(file, index, `unknown apiVersion/kind ${apiVersion} ${kind}`);
        continue;
      }
      try {
        new Model(doc).validate();
      } catch (error) {
        problem(file, index, `${apiVersion} ${kind} ${name}: ${error.message}`);
      }
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`INVALID ${p}`);
  console.error(`${problems.length} problem(s) in ${checked} document(s)`);
  process.exit(1);
}
console.log(`ok: ${checked} document(s) valid (kubernetes-models schemas) under ${dirs.join(", ")}`);

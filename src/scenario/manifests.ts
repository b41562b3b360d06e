/**
 * Cluster input: one or several multi-document YAML files holding a podnet Cluster document and real
 * Kubernetes manifests. Each document is dispatched by apiVersion and kind to its validator; v1 List
 * documents are unpacked; kinds podnet does not handle yet (ConfigMap, DaemonSet, CRDs, ...) are
 * listed by name and position in `notHandled`, never dropped silently; a document without apiVersion or
 * kind is an error. Every error of every file is collected before giving up.
 */
import { CLUSTER_API_VERSION, type ClusterSpec } from '../cluster/cluster-spec.js';
import type { K8sObject, NotHandled } from '../cluster/k8s-objects.js';
import { checkDns1123Label } from '../cluster/k8s-validation.js';
import { planCluster, type ClusterPlan } from '../cluster/plan.js';
import type { Origin } from '../cluster/source-ref.js';
import { checkClusterDoc } from './cluster-doc.js';
import { checkClusterRun, type ClusterRunSpec } from './cluster-steps.js';
import { isJsonObject } from '../wire/json.js';
import { checkMeta, strictFields, type ManifestCtx } from './manifest-common.js';
import { CALICO_HANDLED } from './manifest-calico.js';
import { checkIngress, checkNetworkPolicy } from './manifest-networking.js';
import { checkService } from './manifest-service.js';
import { checkDeployment, checkPod } from './manifest-workloads.js';
import { Checker, loadYaml, type SourceDoc, type SpecError, type SpecPath } from './source.js';

type KindChecker = (
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
) => K8sObject | undefined;

/** The kinds podnet reads, by "apiVersion kind". */
const HANDLED: Readonly<Record<string, KindChecker>> = {
  'v1 Namespace': checkNamespace,
  'v1 Pod': checkPod,
  'v1 Service': checkService,
  'apps/v1 Deployment': checkDeployment,
  'networking.k8s.io/v1 NetworkPolicy': checkNetworkPolicy,
  'networking.k8s.io/v1 Ingress': checkIngress,
  ...CALICO_HANDLED,
};

/** Kinds podnet reads, with the apiVersion Kubernetes serves them at (older ones were removed). */
const SERVED_AT: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(HANDLED).map((k) => [k.split(' ')[1]!, k.split(' ')[0]!]),
);

/** What a set of manifest documents holds. */
export interface Manifests {
  /** Cluster documents (usually one). */
  clusters: ClusterSpec[];
  /** Their steps and limits, in the same order. */
  runs: ClusterRunSpec[];
  /** Kubernetes objects, in file and document order. */
  objects: K8sObject[];
  notHandled: NotHandled[];
  errors: SpecError[];
  warnings: SpecError[];
}

/** Reads loaded documents (empty ones, such as after a trailing `---`, are skipped as kubectl skips them). */
export function readManifestDocs(docs: readonly SourceDoc[]): Manifests {
  const out: Manifests = { clusters: [], runs: [], objects: [], notHandled: [], errors: [], warnings: [] };
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    const ctx: ManifestCtx = { c: new Checker(doc), warnings: out.warnings };
    readObject(ctx, [], doc.value, out, false);
    out.errors.push(...ctx.c.errors);
  }
  return out;
}

function readObject(ctx: ManifestCtx, base: SpecPath, v: unknown, out: Manifests, inList: boolean): void {
  const { c } = ctx;
  const o = c.obj(base, v);
  if (o === undefined) return;
  const apiVersion = o.apiVersion;
  const kind = o.kind;
  if (apiVersion === undefined || apiVersion === '' || kind === undefined || kind === '') {
    if (apiVersion === undefined || apiVersion === '')
      c.error([...base, 'apiVersion'], 'apiVersion not set (every manifest needs apiVersion and kind)');
    if (kind === undefined || kind === '')
      c.error([...base, 'kind'], 'kind not set (every manifest needs apiVersion and kind)');
    return;
  }
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    if (typeof apiVersion !== 'string') c.str([...base, 'apiVersion'], apiVersion);
    if (typeof kind !== 'string') c.str([...base, 'kind'], kind);
    return;
  }
  if (apiVersion === CLUSTER_API_VERSION && kind === 'Cluster') {
    if (inList) c.error(base, 'a Cluster document must stand on its own, not inside a List');
    else {
      const cluster = checkClusterDoc(ctx, o);
      const spec = isJsonObject(o.spec) ? o.spec : {};
      const run = checkClusterRun(c, spec);
      if (cluster !== undefined) {
        out.clusters.push(cluster);
        out.runs.push(run);
      }
    }
    return;
  }
  if (apiVersion === 'v1' && kind === 'List') {
    strictFields(c, base, o, ['apiVersion', 'kind', 'items'], ['metadata']);
    (c.arr([...base, 'items'], o.items) ?? []).forEach((item, i) =>
      readObject(ctx, [...base, 'items', i], item, out, true),
    );
    return;
  }
  const check = HANDLED[`${apiVersion} ${kind}`];
  if (check !== undefined) {
    const obj = check(ctx, base, o, { doc: c.doc, path: base });
    if (obj !== undefined) out.objects.push(obj);
    return;
  }
  const served = SERVED_AT[kind];
  if (
    served !== undefined &&
    (groupOf(apiVersion) === groupOf(served) || (groupOf(apiVersion) === 'extensions' && served !== 'v1'))
  ) {
    // A kind podnet reads, at a version Kubernetes no longer serves (extensions/v1beta1 Deployment, ...).
    c.error(
      [...base, 'apiVersion'],
      `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)} (use ${served})`,
    );
    return;
  }
  const { line, col } = c.doc.locate([...base, 'kind']);
  const meta = o.metadata !== null && typeof o.metadata === 'object' ? (o.metadata as Record<string, unknown>) : {};
  const name = typeof meta.name === 'string' ? meta.name : undefined;
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
  const entry: NotHandled = {
    kind,
    apiVersion,
    file: c.doc.file,
    line,
    col,
    message: `kind ${kind} (${apiVersion}) at ${c.doc.file}:${line} is not handled by podnet yet: ignored`,
  };
  if (name !== undefined) entry.name = name;
  if (namespace !== undefined) entry.namespace = namespace;
  out.notHandled.push(entry);
}

/** The API group of an apiVersion ('' for the core group). */
function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** v1 Namespace. */
function checkNamespace(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): K8sObject | undefined {
  strictFields(ctx.c, base, o, ['apiVersion', 'kind', 'metadata'], ['spec', 'status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, {
    namespaced: false,
    nameRule: checkDns1123Label,
  });
  return metadata === undefined ? undefined : { kind: 'Namespace', metadata, origin };
}

/** A file of cluster input. */
export interface ClusterFile {
  /** Name used in messages. */
  file: string;
  text: string;
}

/** Everything the files describe: one Cluster and the objects to run on it. */
export interface ClusterInput {
  cluster: ClusterSpec;
  /** The Cluster document's steps and limits. */
  run: ClusterRunSpec;
  objects: K8sObject[];
  notHandled: NotHandled[];
  warnings: SpecError[];
}

/** parseClusterFiles' outcome; notHandled and warnings are reported either way. */
export type ClusterInputResult =
  | { ok: true; input: ClusterInput }
  | { ok: false; errors: SpecError[]; notHandled: NotHandled[]; warnings: SpecError[] };

/** Reads and validates cluster input from one or several files; exactly one Cluster document among them. */
export function parseClusterFiles(files: readonly ClusterFile[]): ClusterInputResult {
  const errors: SpecError[] = [];
  const docs: SourceDoc[] = [];
  for (const f of files) {
    const loaded = loadYaml(f.file, f.text);
    if (!loaded.ok) errors.push(...loaded.errors);
    else docs.push(...loaded.docs);
  }
  const m = readManifestDocs(docs);
  errors.push(...m.errors);
  // A Cluster document that failed validation has its own errors; one that is missing gets this one.
  if (m.clusters.length === 0 && !docs.some((d) => isClusterDoc(d.value))) {
    errors.push({
      file: files[0]?.file ?? '',
      line: 1,
      col: 1,
      field: '',
      message: `no Cluster document: add one (apiVersion: ${CLUSTER_API_VERSION}, kind: Cluster) with the nodes`,
    });
  }
  if (m.clusters.length > 1) {
    for (const extra of m.clusters.slice(1)) {
      const at = extra.origin.doc.locate(['kind']);
      errors.push({
        file: extra.origin.doc.file,
        line: at.line,
        col: at.col,
        field: 'kind',
        message: `a second Cluster document (the first is in ${m.clusters[0]!.origin.doc.file}): one cluster at a time`,
      });
    }
  }
  if (errors.length > 0 || m.clusters.length !== 1)
    return { ok: false, errors, notHandled: m.notHandled, warnings: m.warnings };
  return {
    ok: true,
    input: {
      cluster: m.clusters[0]!,
      run: m.runs[0]!,
      objects: m.objects,
      notHandled: m.notHandled,
      warnings: m.warnings,
    },
  };
}

function isClusterDoc(v: unknown): boolean {
  return (
    v !== null &&
    typeof v === 'object' &&
    (v as Record<string, unknown>).kind === 'Cluster' &&
    (v as Record<string, unknown>).apiVersion === CLUSTER_API_VERSION
  );
}

/** A planned cluster with what reading it found along the way. */
export interface LoadedCluster {
  plan: ClusterPlan;
  /** The Cluster document's steps and limits. */
  run: ClusterRunSpec;
  notHandled: NotHandled[];
  /** Reading's warnings, then planning's. */
  warnings: SpecError[];
}

/** Reads, validates and plans cluster input in one call (what `podnet cluster` runs). */
export function loadCluster(
  files: readonly ClusterFile[],
):
  | { ok: true; cluster: LoadedCluster }
  | { ok: false; errors: SpecError[]; notHandled: NotHandled[]; warnings: SpecError[] } {
  const read = parseClusterFiles(files);
  if (!read.ok) return read;
  const planned = planCluster(read.input.cluster, read.input.objects);
  const warnings = [...read.input.warnings, ...(planned.ok ? planned.plan.warnings : planned.warnings)];
  if (!planned.ok) return { ok: false, errors: planned.errors, notHandled: read.input.notHandled, warnings };
  return {
    ok: true,
    cluster: { plan: planned.plan, run: read.input.run, notHandled: read.input.notHandled, warnings },
  };
}

/**
 * `podnet get nodes|pods|services|endpoints|endpointslices CLUSTER.yaml [-o wide|yaml|json] [-n NS | -A]`: what `kubectl get`
 * prints for a freshly built cluster. The objects come from kube-objects.ts, the tables from kube-printers.ts;
 * this file reads the arguments and the file, builds the cluster and chooses the output.
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { loadCluster } from '../scenario/manifests.js';
import { holdsClusterDoc } from '../scenario/cluster-doc.js';
import { formatSpecErrors } from '../scenario/source.js';
import { buildCluster, CLUSTER_UP_NS } from '../cluster/runtime.js';
import { kubeObjects, type KubeMeta, type KubeObjects } from './kube-objects.js';
import {
  endpointSliceTable,
  endpointsTable,
  nodeTable,
  podTable,
  renderTable,
  serviceTable,
  withNamespaceColumn,
  type KubeTable,
} from './kube-printers.js';

/** A bad `get` command line: main prints it with the usage text and exits 2. */
export class GetUsageError extends Error {}

/** The usage lines of `get`, for main's usage text. */
export const GET_USAGE = `  podnet get nodes|pods|services|endpoints|endpointslices CLUSTER.yaml [-o wide|yaml|json] [-n NS | -A]
                                             what kubectl get prints for the freshly built cluster, in its
                                             columns (also no, po, svc, ep and singular names); AGE is
                                             simulated time since the cluster was created at t=0`;

/** The resources `get` knows, by every name kubectl accepts for them (plural, singular, short). */
const RESOURCES: Record<string, Resource> = {
  nodes: 'nodes',
  node: 'nodes',
  no: 'nodes',
  pods: 'pods',
  pod: 'pods',
  po: 'pods',
  services: 'services',
  service: 'services',
  svc: 'services',
  endpoints: 'endpoints',
  ep: 'endpoints',
  endpointslices: 'endpointslices',
  endpointslice: 'endpointslices',
};

/** The resources get shows. */
export type Resource = 'nodes' | 'pods' | 'services' | 'endpoints' | 'endpointslices';
/** -o values; `table` is kubectl's default. */
export type GetOutput = 'table' | 'wide' | 'yaml' | 'json';

/** A parsed `get` command line. */
export interface GetArgs {
  resource: Resource;
  file: string;
  output: GetOutput;
  /** undefined with --all-namespaces. */
  namespace: string | undefined;
}

/** Reads get's arguments (after the word `get`), in any order, with kubectl's spellings of the flags. */
export function parseGetArgs(args: readonly string[]): GetArgs {
  const positional: string[] = [];
  let output: GetOutput = 'table';
  let namespace: string | undefined = 'default';
  let all = false;
  let nsGiven = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (long: string, short: string): string | undefined => {
      if (a === long || a === short) {
        const v = args[++i];
        if (v === undefined || v === '') throw new GetUsageError(`${a} needs a value`);
        return v;
      }
      if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
      if (a.startsWith(short) && a.length > short.length) return a.slice(a[short.length] === '=' ? 3 : 2);
      return undefined;
    };
    const o = value('--output', '-o');
    if (o !== undefined) {
      if (o !== 'wide' && o !== 'yaml' && o !== 'json')
        throw new GetUsageError(`-o must be wide, yaml or json, got ${JSON.stringify(o)}`);
      output = o;
      continue;
    }
    const n = value('--namespace', '-n');
    if (n !== undefined) {
      namespace = n;
      nsGiven = true;
      continue;
    }
    if (a === '-A' || a === '--all-namespaces') all = true;
    else if (a.startsWith('-')) throw new GetUsageError(`get: unknown option ${a}`);
    else positional.push(a);
  }
  if (all && nsGiven) throw new GetUsageError('-n and -A exclude each other');
  const [word, file, ...extra] = positional;
  if (word === undefined || file === undefined || extra.length > 0)
    throw new GetUsageError(
      'get takes a resource (nodes, pods, services, endpoints or endpointslices) and a cluster file',
    );
  const resource = RESOURCES[word.toLowerCase()];
  if (resource === undefined)
    throw new GetUsageError(
      `get: unknown resource type ${JSON.stringify(word)} (nodes, pods, services, endpoints, endpointslices; or no, po, svc, ep)`,
    );
  return { resource, file, output, namespace: all ? undefined : namespace };
}

/** Runs `podnet get` (args after the word `get`); returns the exit status. */
export async function cmdGet(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const g = parseGetArgs(args);
  let text: string;
  try {
    text = readFileSync(g.file, 'utf8');
  } catch (e) {
    throw new GetUsageError(`cannot read ${g.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (!holdsClusterDoc(text)) throw new GetUsageError(`${g.file} holds no Cluster document: get shows a cluster`);
  const loaded = loadCluster([{ file: g.file, text }]);
  if (!loaded.ok) {
    err(formatSpecErrors(loaded.errors));
    return 2;
  }
  const rt = await buildCluster(loaded.cluster.plan);
  // kubectl is asked once the kubelet's probes have had their say: GET_AFTER_NS of simulated time after the
  // build (AGE shows it), so READY and RESTARTS come from real probe results
  rt.engine.runFor(GET_AFTER_NS);
  const view = getView(kubeObjects(rt), g);
  if (view.kind === 'text') {
    if (view.text === '') err(view.empty);
    else out(view.text);
  } else out(view.text);
  return 0;
}

/** How long after the cluster comes up `podnet get` looks at it (runtime.ts CLUSTER_UP_NS). */
export const GET_AFTER_NS = CLUSTER_UP_NS;

/** What get prints: a table (with kubectl's message on stderr when empty), or a JSON/YAML v1 List. */
export type GetView = { kind: 'text'; text: string; empty: string } | { kind: 'list'; text: string };

/** Chooses and filters the objects for `g` and renders them in its output format. */
export function getView(objs: KubeObjects, g: Pick<GetArgs, 'resource' | 'output' | 'namespace'>): GetView {
  const nsd = g.resource !== 'nodes';
  const keep = <T extends { metadata: KubeMeta }>(xs: readonly T[]): T[] =>
    nsd && g.namespace !== undefined ? xs.filter((x) => x.metadata.namespace === g.namespace) : [...xs];
  const items =
    g.resource === 'nodes'
      ? keep(objs.nodes)
      : g.resource === 'pods'
        ? keep(objs.pods)
        : g.resource === 'services'
          ? keep(objs.services)
          : g.resource === 'endpoints'
            ? keep(objs.endpoints)
            : keep(objs.endpointSlices);
  if (g.output === 'json' || g.output === 'yaml') {
    // kubectl wraps several objects in a v1 List; -o json indents by 4 (json.MarshalIndent); -o yaml goes
    // through sigs.k8s.io/yaml (go-yaml v2): keys sorted, sequences not indented, YAML 1.1 quoting of timestamps
    const list = { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
    return {
      kind: 'list',
      text:
        g.output === 'json'
          ? JSON.stringify(list, null, 4)
          : stringify(list, { sortMapEntries: true, indentSeq: false, version: '1.1' }).trimEnd(),
    };
  }
  const wide = g.output === 'wide';
  let t: KubeTable;
  switch (g.resource) {
    case 'nodes':
      t = nodeTable(objs.nodes, objs.nowNs, wide);
      break;
    case 'pods':
      t = podTable(keep(objs.pods), objs.nowNs, wide);
      break;
    case 'services':
      t = serviceTable(keep(objs.services), objs.nowNs, wide);
      break;
    case 'endpoints':
      t = endpointsTable(keep(objs.endpoints), objs.nowNs);
      break;
    case 'endpointslices':
      t = endpointSliceTable(keep(objs.endpointSlices), objs.nowNs);
      break;
  }
  // kubectl's messages when nothing matches (k8s.io/kubectl/pkg/cmd/get/get.go)
  const empty =
    nsd && g.namespace !== undefined ? `No resources found in ${g.namespace} namespace.` : 'No resources found';
  if (t.rows.length === 0) return { kind: 'text', text: '', empty };
  if (nsd && g.namespace === undefined)
    t = withNamespaceColumn(
      t,
      items.map((x) => x.metadata.namespace ?? ''),
    );
  return { kind: 'text', text: renderTable(t), empty };
}

/**
 * The Lab document: a small network described as data (nodes, interfaces, addresses, links with their
 * properties, VLAN port modes, routes) plus steps with expectations. This file reads the document and
 * checks its top level; lab-nodes.ts and lab-steps.ts check the rest, reporting every problem with file,
 * line and field.
 */
import { Checker, loadYaml, type SourceDoc, type SpecPath } from './source.js';
import { checkLink, checkLinkProps, checkNode } from './lab-nodes.js';
import { checkLimits, checkStep } from './lab-steps.js';
import { CLUSTER_API_VERSION } from '../cluster/cluster-spec.js';
import {
  LAB_API_VERSION,
  type LabResult,
  type LabSpec,
  type LinkSpec,
  type NodeSpec,
  type StepSpec,
} from './lab-types.js';

export * from './lab-types.js';

/** Reads and validates a Lab from YAML text. */
export function parseLab(file: string, text: string): LabResult {
  const loaded = loadYaml(file, text);
  if (!loaded.ok) return loaded;
  const docs = loaded.docs.filter((d) => d.value !== null && d.value !== undefined);
  if (docs.length !== 1) {
    const kinds = docs.map((d) =>
      typeof d.value === 'object' && d.value !== null ? (d.value as { kind?: unknown }).kind : undefined,
    );
    const hint = kinds.includes('Cluster')
      ? ': this is a Cluster file, run it with `podnet run ' +
        file +
        '` (its steps) or `podnet demo --file ' +
        file +
        '`'
      : '';
    return {
      ok: false,
      errors: [
        { file, line: 1, col: 1, field: '', message: `expected exactly one Lab document, found ${docs.length}${hint}` },
      ],
    };
  }
  const doc = docs[0]!;
  const c = new Checker(doc);
  const lab = checkLab(c, doc);
  if (c.errors.length > 0 || lab === undefined) return { ok: false, errors: c.errors };
  return { ok: true, lab };
}

function checkLab(c: Checker, doc: SourceDoc): LabSpec | undefined {
  const root = c.obj([], doc.value);
  if (root === undefined) return undefined;
  // a Kubernetes or Calico object on its own (a Pod's manifest): complaints about its fields as a Lab's
  // would mislead; podnet runs such objects in a cluster, which a Cluster document describes
  if (
    typeof root.kind === 'string' &&
    root.kind !== 'Lab' &&
    typeof root.apiVersion === 'string' &&
    root.apiVersion !== LAB_API_VERSION
  ) {
    c.error(
      ['kind'],
      `${root.kind} (${root.apiVersion}) is not a podnet Lab: podnet runs Kubernetes and Calico objects in a ` +
        `cluster, so add a Cluster document (apiVersion: ${CLUSTER_API_VERSION}, kind: Cluster) with the nodes ` +
        `to this file, or write a Lab (apiVersion: ${LAB_API_VERSION}, kind: Lab)`,
    );
    return undefined;
  }
  c.unknownKeys([], root, ['apiVersion', 'kind', 'metadata', 'spec']);
  if (root.apiVersion !== LAB_API_VERSION)
    c.error(['apiVersion'], root.apiVersion === undefined ? 'required field is missing' : `must be ${LAB_API_VERSION}`);
  if (root.kind !== 'Lab') c.error(['kind'], root.kind === undefined ? 'required field is missing' : `must be Lab`);
  const meta = c.obj(['metadata'], root.metadata);
  let name = 'lab';
  let description = '';
  if (meta !== undefined) {
    c.unknownKeys(['metadata'], meta, ['name', 'description']);
    name = c.str(['metadata', 'name'], meta.name) ?? name;
    if (meta.description !== undefined) description = c.str(['metadata', 'description'], meta.description) ?? '';
  }
  const spec = c.obj(['spec'], root.spec);
  if (spec === undefined) return undefined;
  c.unknownKeys(['spec'], spec, ['seed', 'linkDefaults', 'limits', 'nodes', 'links', 'steps']);
  const seed = spec.seed === undefined ? 1 : (c.int(['spec', 'seed'], spec.seed, { min: 0, max: 0xffff_ffff }) ?? 1);
  const linkDefaults =
    spec.linkDefaults === undefined ? {} : checkLinkProps(c, ['spec', 'linkDefaults'], spec.linkDefaults, []);
  const nodes: NodeSpec[] = [];
  const names = new Set<string>();
  (c.arr(['spec', 'nodes'], spec.nodes) ?? []).forEach((n, i) => {
    const node = checkNode(c, ['spec', 'nodes', i], n);
    if (node === undefined) return;
    if (names.has(node.name)) c.error([...node.path, 'name'], `duplicate node name ${JSON.stringify(node.name)}`);
    names.add(node.name);
    nodes.push(node);
  });
  const links: LinkSpec[] = [];
  if (spec.links !== undefined) {
    (c.arr(['spec', 'links'], spec.links) ?? []).forEach((l, i) => {
      const link = checkLink(c, ['spec', 'links', i], l, nodes);
      if (link !== undefined) links.push(link);
    });
  }
  const used = new Map<string, SpecPath>();
  for (const l of links) {
    for (const [end, key] of [
      [l.a, 'a'],
      [l.b, 'b'],
    ] as const) {
      const id = `${end.node}:${end.port}`;
      if (used.has(id)) c.error([...l.path, key], `port ${id} is already used by another link`);
      used.set(id, l.path);
    }
  }
  const steps: StepSpec[] = [];
  if (spec.steps !== undefined) {
    (c.arr(['spec', 'steps'], spec.steps) ?? []).forEach((s, i) => {
      const step = checkStep(c, ['spec', 'steps', i], s, nodes);
      if (step !== undefined) steps.push(step);
    });
  }
  const limits = checkLimits(c, spec.limits);
  return { file: doc.file, name, description, seed, linkDefaults, limits, nodes, links, steps, doc };
}

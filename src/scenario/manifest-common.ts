/**
 * What every Kubernetes manifest validator shares: metadata, label maps and selectors, protocols,
 * int-or-string ports, and strict field checking (an unknown field is an error, as with kubectl's
 * default --validate=strict, so a typo never passes as an ignored field). Fields Kubernetes has but
 * podnet does not model are accepted and ignored. Per-kind validators live in manifest-*.ts.
 */
import type { LabelSelector, LabelSelectorRequirement, Labels, ObjectMeta, Protocol } from '../cluster/k8s-objects.js';
import { checkDns1123Label, checkLabelValue, checkPortName, checkQualifiedName } from '../cluster/k8s-validation.js';
import { describeValue, formatPath, type Checker, type SpecError, type SpecPath } from './source.js';

/** A validator's context: the checker collecting errors, and a list collecting warnings. */
export interface ManifestCtx {
  c: Checker;
  warnings: SpecError[];
}

/** Records a warning about the value at `path`. */
export function warn(ctx: ManifestCtx, path: SpecPath, message: string): void {
  const { line, col } = ctx.c.doc.locate(path);
  ctx.warnings.push({ file: ctx.c.doc.file, line, col, field: formatPath(path), message });
}

/** Records an error at the key of `path` (for fields that must not be there). */
export function errorAtKey(c: Checker, path: SpecPath, message: string): void {
  const { line, col } = c.doc.locate(path, 'key');
  c.errors.push({ file: c.doc.file, line, col, field: formatPath(path), message });
}

/** Reports the API server's reasons (from cluster/k8s-validation) for an invalid `value` at `path`. */
export function invalid(c: Checker, path: SpecPath, value: string | number, reasons: string[]): boolean {
  if (reasons.length === 0) return true;
  c.error(path, `Invalid value: ${JSON.stringify(value)}: ${reasons.join(', ')}`);
  return false;
}

/**
 * Strict fields: every key of `obj` must be one podnet reads (`used`) or one Kubernetes has and podnet
 * ignores (`ignored`). Unknown keys are reported at the key, with the nearest known name when one is close.
 */
export function strictFields(
  c: Checker,
  path: SpecPath,
  obj: Record<string, unknown>,
  used: readonly string[],
  ignored: readonly string[] = [],
): void {
  for (const key of Object.keys(obj)) {
    if (used.includes(key) || ignored.includes(key)) continue;
    const near = closest(key, [...used, ...ignored]);
    errorAtKey(
      c,
      [...path, key],
      `unknown field ${JSON.stringify(key)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}`,
    );
  }
}

/** The candidate within edit distance 2 (or differing only in case) of `word`, if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const cand of candidates) {
    const d = cand.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word, cand);
    if (d < bestD) {
      best = cand;
      bestD = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** ObjectMeta fields podnet does not use (set by the API server, or about lifecycle). */
const META_IGNORED = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'finalizers',
  'ownerReferences',
  'managedFields',
  'selfLink',
];

/**
 * metadata: name (checked by `nameRule`), namespace ("default" when absent; '' for cluster-scoped kinds,
 * where a namespace is ignored as the API server ignores it), labels, annotations.
 */
/**
 * The opening every namespaced object with a spec shares: its top-level fields (status ignored),
 * metadata named by `nameRule`, and the spec mapping with its allowed fields. Undefined when the spec
 * is not a mapping (the error is recorded).
 */
export function openObject(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  nameRule: (name: string) => string[],
  specFields: readonly string[],
  ignoredSpecFields: readonly string[] = [],
): { metadata: ObjectMeta | undefined; sp: SpecPath; spec: Record<string, unknown> } | undefined {
  const { c } = ctx;
  strictFields(c, base, o, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, { namespaced: true, nameRule });
  const sp = [...base, 'spec'];
  const spec = c.obj(sp, o.spec);
  if (spec === undefined) return undefined;
  strictFields(c, sp, spec, specFields, ignoredSpecFields);
  return { metadata, sp, spec };
}

export function checkMeta(
  ctx: ManifestCtx,
  path: SpecPath,
  v: unknown,
  opts: { namespaced: boolean; nameRule: (name: string) => string[] },
): ObjectMeta | undefined {
  const { c } = ctx;
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['name', 'namespace', 'labels', 'annotations'], ['generateName', ...META_IGNORED]);
  let name: string | undefined;
  if (o.name === undefined && o.generateName !== undefined) {
    c.error(
      [...path, 'generateName'],
      'podnet needs a fixed metadata.name (generateName is not supported; kubectl apply refuses it too)',
    );
  } else {
    name = c.str([...path, 'name'], o.name);
    if (name !== undefined && !invalid(c, [...path, 'name'], name, opts.nameRule(name))) name = undefined;
  }
  let namespace = opts.namespaced ? 'default' : '';
  if (o.namespace !== undefined && opts.namespaced) {
    const ns = c.str([...path, 'namespace'], o.namespace);
    if (ns !== undefined && invalid(c, [...path, 'namespace'], ns, checkDns1123Label(ns))) namespace = ns;
  }
  const labels = o.labels === undefined ? {} : checkLabels(c, [...path, 'labels'], o.labels);
  const annotations = o.annotations === undefined ? {} : checkAnnotations(c, [...path, 'annotations'], o.annotations);
  if (name === undefined) return undefined;
  return { name, namespace, labels, annotations };
}

/** A string (possibly empty); a number or boolean (YAML reads `1` and `true` so) is reported with a hint to quote it. */
export function quotedString(c: Checker, path: SpecPath, v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') {
    c.error(path, `expected a string, got ${describeValue(v)}: quote it ("${String(v)}")`);
    return undefined;
  }
  return c.str(path, v, { allowEmpty: true });
}

/** A label map (metadata.labels, matchLabels, nodeSelector, a Service's selector): keys and values as the API server checks them. */
export function checkLabels(c: Checker, path: SpecPath, v: unknown): Labels {
  return stringMap(c, path, v, checkLabelValue);
}

/** metadata.annotations: qualified-name keys, any string values. */
export function checkAnnotations(c: Checker, path: SpecPath, v: unknown): Labels {
  return stringMap(c, path, v, () => []);
}

/** A map with qualified-name keys and string values that `valueRule` accepts (problems as in invalid()). */
function stringMap(c: Checker, path: SpecPath, v: unknown, valueRule: (value: string) => string[]): Labels {
  const o = c.obj(path, v);
  const out: Record<string, string> = {};
  if (o === undefined) return out;
  for (const [k, val] of Object.entries(o)) {
    const keyOk = checkQualifiedName(k);
    if (keyOk.length > 0) errorAtKey(c, [...path, k], `Invalid value: ${JSON.stringify(k)}: ${keyOk.join(', ')}`);
    const s = quotedString(c, [...path, k], val);
    if (s === undefined || !invalid(c, [...path, k], s, valueRule(s))) continue;
    if (keyOk.length === 0) out[k] = s;
  }
  return out;
}

/** metav1.LabelSelector: matchLabels and matchExpressions (In/NotIn need values, Exists/DoesNotExist none). */
export function checkSelector(c: Checker, path: SpecPath, v: unknown): LabelSelector | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, ['matchLabels', 'matchExpressions']);
  const matchLabels = o.matchLabels === undefined ? {} : checkLabels(c, [...path, 'matchLabels'], o.matchLabels);
  const matchExpressions: LabelSelectorRequirement[] = [];
  if (o.matchExpressions !== undefined) {
    (c.arr([...path, 'matchExpressions'], o.matchExpressions) ?? []).forEach((x, i) => {
      const ep = [...path, 'matchExpressions', i];
      const e = c.obj(ep, x);
      if (e === undefined) return;
      strictFields(c, ep, e, ['key', 'operator', 'values']);
      const key = c.str([...ep, 'key'], e.key);
      if (key !== undefined) invalid(c, [...ep, 'key'], key, checkQualifiedName(key));
      const operator = c.oneOf([...ep, 'operator'], e.operator, ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
      const values: string[] = [];
      if (e.values !== undefined) {
        (c.arr([...ep, 'values'], e.values) ?? []).forEach((val, k) => {
          const s = quotedString(c, [...ep, 'values', k], val);
          if (s !== undefined && invalid(c, [...ep, 'values', k], s, checkLabelValue(s))) values.push(s);
        });
      }
      if ((operator === 'In' || operator === 'NotIn') && values.length === 0)
        c.error([...ep, 'values'], "Required value: must be specified when `operator` is 'In' or 'NotIn'");
      if ((operator === 'Exists' || operator === 'DoesNotExist') && e.values !== undefined && values.length > 0)
        c.error([...ep, 'values'], "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      if (key !== undefined && operator !== undefined) matchExpressions.push({ key, operator, values });
    });
  }
  return { matchLabels, matchExpressions };
}

/** A protocol, TCP when absent. */
export function checkProtocol(c: Checker, path: SpecPath, v: unknown): Protocol {
  if (v === undefined) return 'TCP';
  return c.oneOf(path, v, ['TCP', 'UDP', 'SCTP'] as const) ?? 'TCP';
}

/** A port number 1-65535. */
export function checkPortNumber(c: Checker, path: SpecPath, v: unknown): number | undefined {
  return c.int(path, v, { min: 1, max: 65535 });
}

/**
 * An IntOrString port (targetPort, a NetworkPolicy port): a number 1-65535 or an IANA_SVC_NAME. As in
 * Kubernetes, the string "8080" is a name, and not a valid one.
 */
export function checkIntOrStringPort(c: Checker, path: SpecPath, v: unknown): number | string | undefined {
  if (typeof v === 'number') return checkPortNumber(c, path, v);
  const s = c.str(path, v);
  if (s === undefined) return undefined;
  return invalid(c, path, s, checkPortName(s)) ? s : undefined;
}

/** A list of strings (command, args, hosts). */
export function checkStringList(c: Checker, path: SpecPath, v: unknown): string[] {
  const out: string[] = [];
  (c.arr(path, v) ?? []).forEach((x, i) => {
    const s = quotedString(c, [...path, i], x);
    if (s !== undefined) out.push(s);
  });
  return out;
}

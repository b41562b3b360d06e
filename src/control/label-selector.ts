/**
 * Label selectors as Kubernetes evaluates them (k8s.io/apimachinery/pkg/labels): matchLabels and every
 * matchExpression must all hold; an empty selector matches everything. Used to pick a Deployment's pods, a
 * Service's endpoints, a NetworkPolicy's pods (in podnet's evaluation and in kube-router's) and the nodes a
 * nodeSelector allows.
 */

/** Labels (a key/value map). */
type Labels = Readonly<Record<string, string>>;

/**
 * metav1.LabelSelector as its users hold it: cluster/'s LabelSelector and kube-router's KrSelector both
 * have this shape.
 */
export interface LabelSelectorLike {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values: readonly string[];
  }[];
}

/** True when `labels` contains every key/value of `required` (nodeSelector, a Service's selector). */
export function labelsMatch(required: Labels, labels: Labels): boolean {
  return Object.entries(required).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
}

/** True when `sel` selects an object with `labels`. */
export function selectorMatches(sel: LabelSelectorLike, labels: Labels): boolean {
  if (!labelsMatch(sel.matchLabels, labels)) return false;
  return sel.matchExpressions.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(labels[r.key]!);
      case 'NotIn':
        return !has || !r.values.includes(labels[r.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}

/** True when the selector has no requirement at all (selects everything). */
export function selectorIsEmpty(sel: LabelSelectorLike): boolean {
  return Object.keys(sel.matchLabels).length === 0 && sel.matchExpressions.length === 0;
}

/** Human text of a selector, as kubectl prints it: `app=web,tier in (a,b),!legacy`. */
export function formatSelector(sel: LabelSelectorLike): string {
  const parts = Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const r of sel.matchExpressions) {
    if (r.operator === 'In') parts.push(`${r.key} in (${r.values.join(',')})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${r.values.join(',')})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.join(',');
}

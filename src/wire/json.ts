/**
 * Shape checks for values from JSON.parse or a YAML parser (CNI configs, Flannel leases, net-conf.json): type
 * guards that narrow `unknown` without `any`, so readers of untrusted JSON stay fully typed.
 */

/** A JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON string field's value, or '' when it is absent or not a string (as Go's zero value). */
export function jsonString(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** A JSON array, with its elements still to be checked. */
export function isJsonArray(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

/**
 * Where cluster objects came from, so that a problem found while planning (a clusterIP already taken, a
 * namespace that does not exist) names the file, line and field like a validation error does. This layer
 * does not read YAML: the scenario layer's SourceDoc fits SourceRef as it is, and Problem has the shape of
 * its SpecError, so scenario's formatSpecError prints either.
 */

/** A path into a document: map keys and list indexes, e.g. ['spec', 'ports', 0, 'nodePort']. */
export type FieldPath = readonly (string | number)[];

/** A document that can say where any part of it was written (scenario's SourceDoc is one). */
export interface SourceRef {
  /** File name, as the user gave it. */
  readonly file: string;
  /** Line and column (1-based) of the value, or with at='key' of the map key, at `path`. */
  locate(path: FieldPath, at?: 'value' | 'key'): { line: number; col: number };
}

/** Where one object sits: its document, and its path inside it ([] unless it is an item of a v1 List). */
export interface Origin {
  /** The document. */
  readonly doc: SourceRef;
  /** Path of the object in the document. */
  readonly path: FieldPath;
}

/** A problem located for a person to fix; the same shape as scenario's SpecError. */
export interface Problem {
  /** File name. */
  file: string;
  /** Line, 1-based. */
  line: number;
  /** Column, 1-based. */
  col: number;
  /** Field path as text, e.g. 'spec.ports[0].nodePort'; '' for the whole object. */
  field: string;
  /** What is wrong. */
  message: string;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/**
 * Field text for a path: `a.b[2].c`, keys that are not plain names quoted (`labels["app.kubernetes.io/name"]`).
 * scenario/source.ts formatPath, for lab and cluster files, is this same function.
 */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A Problem about the field at `rel` (relative to the object) of the object at `origin`. */
export function problemAt(origin: Origin, rel: FieldPath, message: string, at: 'value' | 'key' = 'value'): Problem {
  const path = [...origin.path, ...rel];
  const { line, col } = origin.doc.locate(path, at);
  return { file: origin.doc.file, line, col, field: formatFieldPath(path), message };
}

/** The source of objects podnet adds itself, as k3s does (the kubernetes Service, CoreDNS). */
export const BUILTIN_SOURCE: SourceRef = { file: '<k3s built-in>', locate: () => ({ line: 1, col: 1 }) };

/** Origin of a built-in object. */
export const BUILTIN_ORIGIN: Origin = { doc: BUILTIN_SOURCE, path: [] };

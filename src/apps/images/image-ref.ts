/**
 * Image references as containerd reads them (distribution/reference's normalized names): an optional
 * registry host (a first component with a '.' or ':' or "localhost"), the repository path, a ":tag" and an
 * "@sha256:..." digest. Docker Hub's "library/" prefix is dropped, so "docker.io/library/nginx:1.27",
 * "nginx" and "nginx@sha256:..." are all the repository "nginx".
 */

/** The parts of an image reference. */
export interface ImageRef {
  /** The registry host, absent for Docker Hub written without one. */
  registry?: string;
  /** The repository path without registry and "library/": "nginx", "traefik/whoami". */
  repository: string;
  /** The tag, absent when none is written (containerd then pulls "latest"). */
  tag?: string;
}

/** Splits `ref` into registry, repository and tag; the repository is lower-case as references must be. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  const at = rest.indexOf('@');
  if (at >= 0) rest = rest.slice(0, at);
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (parts.length > 1 && parts[0] === 'library' && (registry === undefined || registry === 'docker.io')) parts.shift();
  const out: ImageRef = { repository: parts.join('/').toLowerCase() };
  if (registry !== undefined) out.registry = registry;
  if (tag !== undefined && tag !== '') out.tag = tag;
  return out;
}

/**
 * What a CNI plugin acts on: the Kubernetes node's network stack (an IpNode), the Network that holds the
 * cables (veth pairs are cables), the pods' own stacks (one IpNode per network namespace, created by the
 * container runtime), a small file store (host-local's dataDir, flannel's subnet.env and delegate cache)
 * and the engine's seeded PRNG for the random names and MACs Linux would pick. In emulation the store is
 * a Map; in executable mode (realtime/cni) it is the real filesystem, so host-local's files are byte for
 * byte the reference plugin's.
 */
import type { IpNode } from '../../net/ip-node.js';
import type { Network } from '../../link/device.js';
import type { Prng } from '../../sim/prng.js';

/** A tiny filesystem: absolute paths, text contents. Parent directories are created as needed. */
export interface CniStore {
  /** The file's contents, or undefined when it does not exist. */
  read(path: string): string | undefined;
  /** Creates or replaces a file. */
  write(path: string, data: string): void;
  /** Creates a file only if it does not exist (O_CREAT|O_EXCL); false when it did. */
  createExclusive(path: string, data: string): boolean;
  /** Deletes a file; false when there was none. */
  remove(path: string): boolean;
  /** Names of the regular files directly inside `dir`, sorted (empty when the directory is missing). */
  list(dir: string): string[];
  /** Creates a directory and its parents. */
  mkdirp(dir: string): void;
}

/** The host a plugin runs on. */
export interface CniHost {
  /** The node's own network stack (the host network namespace). */
  readonly node: IpNode;
  /** The network holding node, pods and cables. */
  readonly network: Network;
  /** The stack of the pod whose namespace is `netns`; undefined when no such namespace exists. */
  podNode(containerId: string, netns: string): IpNode | undefined;
  /** Files: host-local's dataDir, flannel's subnet.env and cache. */
  readonly store: CniStore;
  /** Randomness for veth names and MACs: this host's own engine stream, so runs repeat. */
  readonly rng: Prng;
}

/** Joins path parts with single slashes. */
export function joinPath(...parts: string[]): string {
  const j = parts.join('/');
  return j.includes('//') ? j.replace(/\/+/g, '/') : j;
}

/** A CniStore in memory (emulation mode). */
export class MemoryStore implements CniStore {
  private readonly files = new Map<string, string>();
  private readonly dirs = new Set<string>(['/']);
  /** Directory -> names of the files directly in it (so list() costs what the directory holds). */
  private readonly children = new Map<string, Set<string>>();

  read(path: string): string | undefined {
    return this.files.get(norm(path));
  }

  write(path: string, data: string): void {
    const p = norm(path);
    const dir = parent(p);
    this.mkdirp(dir);
    if (!this.files.has(p)) {
      let c = this.children.get(dir);
      if (c === undefined) {
        c = new Set();
        this.children.set(dir, c);
      }
      c.add(p.slice(dir === '/' ? 1 : dir.length + 1));
    }
    this.files.set(p, data);
  }

  createExclusive(path: string, data: string): boolean {
    if (this.files.has(norm(path))) return false;
    this.write(path, data);
    return true;
  }

  remove(path: string): boolean {
    const p = norm(path);
    const dir = parent(p);
    this.children.get(dir)?.delete(p.slice(dir === '/' ? 1 : dir.length + 1));
    return this.files.delete(p);
  }

  list(dir: string): string[] {
    const c = this.children.get(norm(dir));
    return c === undefined ? [] : [...c].sort();
  }

  mkdirp(dir: string): void {
    let d = norm(dir);
    while (d !== '/' && !this.dirs.has(d)) {
      this.dirs.add(d);
      d = parent(d);
    }
  }

  /** Every file, for tests and debugging. */
  entries(): [string, string][] {
    return [...this.files].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

function norm(p: string): string {
  // the usual case, an absolute path without doubled or trailing slashes, needs no work
  if (p.charCodeAt(0) === 47 && !p.includes('//') && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47)) return p;
  const s = ('/' + p).replace(/\/+/g, '/');
  return s.length > 1 && s.endsWith('/') ? s.slice(0, -1) : s;
}

function parent(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

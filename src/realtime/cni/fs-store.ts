/**
 * The real filesystem as a CniStore, for executable mode: host-local's dataDir, flannel's subnet.env and
 * delegate cache are the real files a reference plugin would read and write, with the same modes
 * (files 0644, directories 0755, host-local's lock file 0750).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { CniStore } from '../../control/cni/host.js';

/** A CniStore over the real filesystem. */
export class FsStore implements CniStore {
  read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        return undefined;
      throw e;
    }
  }

  write(path: string, data: string): void {
    this.mkdirp(dirname(path));
    writeFileSync(path, data, { mode: basename(path) === 'lock' ? 0o750 : 0o644 });
  }

  createExclusive(path: string, data: string): boolean {
    this.mkdirp(dirname(path));
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  remove(path: string): boolean {
    try {
      rmSync(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  list(dir: string): string[] {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  mkdirp(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
}

// tsc writes its output with mode 0644, so the files named in package.json "bin" would not run as
// programs (`npx podnet` says "Permission denied" on a fresh clone). Marks them executable.
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const rel of Object.values(pkg.bin ?? {})) {
  const file = join(root, rel);
  chmodSync(file, statSync(file).mode | 0o111);
}

/**
 * A lab in the URL fragment: `lab=` then the YAML as raw DEFLATE in base64url (RFC 4648 section 5, no
 * padding), checked against Node's zlib and Buffer, and read back by decodeLab.
 */
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { decodeLab, encodeLab } from './url-lab.js';

const LAB = 'apiVersion: podnet.dev/v1alpha1\nkind: Lab\nmetadata: { name: x }\n# ~~~ ??? >>> ünïcode\n'.repeat(7);

describe('a lab in the URL fragment', () => {
  it('is lab= and base64url of the raw-deflated text, URL-safe, and reads back', async () => {
    const f = await encodeLab(LAB);
    assert.match(f, /^lab=[A-Za-z0-9_-]+$/);
    assert.equal(inflateRawSync(Buffer.from(f.slice(4), 'base64url')).toString('utf8'), LAB);
    assert.equal(await decodeLab(`#${f}`), LAB);
  });

  it('a fragment without a lab, or a broken one, gives none', async () => {
    assert.equal(await decodeLab('#other'), undefined);
    assert.equal(await decodeLab('#lab=!!!'), undefined);
  });
});

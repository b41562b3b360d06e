/** Frame summaries never throw, whatever the bytes: traces summarise every frame, malformed ones too. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { summarizeFrame } from './summary.js';

describe('summarizeFrame on malformed frames', () => {
  it('an IPv4 header with IHL 0 and protocol 4 (IPIP) is reported, not recursed into forever', () => {
    // found by ip-node.test.ts's fuzz (fast-check seed -831983099): an ARP body under ethertype 0x0800, so
    // the "IPv4 header" has version 0, IHL 0, and protocol byte 4
    const f = Uint8Array.from([
      2, 0, 0, 0, 0, 16, 2, 0, 0, 0, 0, 33, 8, 0, 0, 1, 8, 0, 6, 4, 0, 0, 2, 4, 0, 0, 0, 33, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 10, 0, 1, 2,
    ]);
    const s = summarizeFrame(f);
    assert.equal(s.protocol, 'IPv4');
    assert.equal(s.info, 'bad header length 0');
  });

  it('never throws on IPv4 frames of arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 120 }), (body) => {
        const f = new Uint8Array(14 + body.length);
        f[12] = 0x08;
        f.set(body, 14);
        summarizeFrame(f);
      }),
      { numRuns: 2000 },
    );
  });
});

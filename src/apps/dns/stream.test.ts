/** RFC 1035 4.2.2 framing: the length prefix, reassembly across any split, and the in-memory stream pair. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine, US } from '../../sim/engine.js';
import { hex } from '../../wire/testing.js';
import { appendBytes, deframeDnsMessages, frameDnsMessage, memoryStreamPair, readDnsMessages } from './stream.js';

describe('dns stream framing', () => {
  it('prefixes the length as two bytes, big-endian', () => {
    assert.deepEqual(frameDnsMessage(hex('aa bb cc')), hex('00 03 aa bb cc'));
    assert.deepEqual(frameDnsMessage(new Uint8Array(0x1234)).subarray(0, 2), hex('12 34'));
    assert.throws(() => frameDnsMessage(new Uint8Array(0x10000)), RangeError);
  });

  it('returns whole messages and keeps the incomplete rest', () => {
    assert.deepEqual(deframeDnsMessages(hex('00 02 01 02 00 01 09 00')), {
      messages: [hex('01 02'), hex('09')],
      rest: hex('00'),
    });
    assert.deepEqual(deframeDnsMessages(hex('00 05 01 02')), { messages: [], rest: hex('00 05 01 02') });
    assert.deepEqual(deframeDnsMessages(hex('00 00')), { messages: [new Uint8Array(0)], rest: new Uint8Array(0) });
  });

  it('reassembles the same messages however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 8 }),
        (msgs, cuts) => {
          const all = msgs.reduce<Uint8Array>((acc, m) => appendBytes(acc, frameDnsMessage(m)), new Uint8Array(0));
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          let rest: Uint8Array = new Uint8Array(0);
          const got: Uint8Array[] = [];
          let prev = 0;
          for (const p of [...points, all.length]) {
            const d = deframeDnsMessages(appendBytes(rest, all.subarray(prev, p)));
            got.push(...d.messages);
            rest = d.rest;
            prev = p;
          }
          assert.deepEqual(got, msgs);
          assert.equal(rest.length, 0);
        },
      ),
    );
  });
});

describe('memory stream pair', () => {
  it('delivers in order after the latency, in chunks, and signals the end', () => {
    const engine = new Engine(1);
    const [a, b] = memoryStreamPair(engine, { latency: 10 * US, chunkSize: 1 });
    const got: Uint8Array[] = [];
    const times: number[] = [];
    readDnsMessages(b, (m) => {
      got.push(m);
      times.push(engine.now);
    });
    let ended = false;
    b.onEnd(() => (ended = true));
    a.write(frameDnsMessage(hex('01 02 03')));
    a.write(frameDnsMessage(hex('04')));
    a.end();
    engine.run();
    assert.deepEqual(got, [hex('01 02 03'), hex('04')]);
    assert.deepEqual(times, [10 * US, 10 * US]);
    assert.ok(ended);
    assert.throws(() => a.write(hex('00')));
  });
});

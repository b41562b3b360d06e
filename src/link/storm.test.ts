/**
 * Storm detection at link level: two switches joined by two links (no STP) turn one broadcast into a
 * frame that circles for ever; the watch must stop the engine within milliseconds of simulated time and
 * name the loop. A tree of the same switches (one link) and a burst of distinct broadcasts must not trip.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND } from '../sim/engine.js';
import { buildEthernet } from '../wire/ethernet.js';
import { MAC_BROADCAST } from '../wire/addr.js';
import { Network } from './device.js';
import { Switch } from './switch.js';
import { FrameProbe } from './testing.js';
import { formatStorm, formatSeconds, groupDigits, hashFrame } from './storm.js';

const broadcast = (src: number, text = 'who has'): Uint8Array =>
  buildEthernet({ dst: MAC_BROADCAST, src, ethertype: 0x88b5, payload: new TextEncoder().encode(text) });

function twoSwitches(loop: boolean): { engine: Engine; net: Network; a: FrameProbe; b: FrameProbe } {
  const engine = new Engine(1);
  const net = new Network(engine);
  const sw1 = new Switch(net, 'sw1');
  const sw2 = new Switch(net, 'sw2');
  const a = new FrameProbe(net, 'A');
  const b = new FrameProbe(net, 'B');
  net.connect(a.addPort('eth0'), sw1.addSwitchPort('p1'));
  net.connect(b.addPort('eth0'), sw2.addSwitchPort('p3'));
  net.connect(sw1.addSwitchPort('p2'), sw2.addSwitchPort('p1'));
  if (loop) net.connect(sw1.addSwitchPort('p3'), sw2.addSwitchPort('p2'));
  return { engine, net, a, b };
}

describe('storm watch', () => {
  it('stops a switch loop within milliseconds and names the loop, port by port', () => {
    const { engine, net, a, b } = twoSwitches(true);
    a.send(broadcast(0x020000000001));
    const end = engine.runBounded(3600 * SECOND, 10_000_000);
    assert.equal(end, 'stopped');
    const r = net.stormWatch.report;
    assert.ok(r !== undefined, 'a storm was reported');
    assert.ok(engine.now < 20_000_000, `tripped at ${engine.now} ns, expected within 20 ms`);
    assert.equal(r.copies, 1001, 'one past the limit of 1,000 identical copies on one link');
    assert.ok(r.laps > 400 && r.laps <= 1001, `went round ${r.laps} times while hashed`);
    // the loop is a cycle: sw1 out of one uplink, into sw2, out of the other uplink, back into sw1
    assert.equal(r.loop.length, 5);
    assert.equal(r.loop[0], r.loop[4], 'the loop returns to where it started');
    assert.deepEqual(new Set(r.loop.slice(0, 4)), new Set(['sw1:p2', 'sw2:p1', 'sw2:p2', 'sw1:p3']));
    assert.equal(r.loop[1]?.split(':')[0], 'sw2');
    assert.equal(r.loop[2]?.split(':')[0], 'sw2');
    // the looping frame is the one A sent, and both hosts saw it over and over
    assert.deepEqual(r.bytes, broadcast(0x020000000001));
    assert.ok(b.got.length > 1000 && a.got.length > 1000);
    const text = formatStorm(r);
    assert.match(text, /^broadcast storm: frame 02:00:00:00:00:01 -> ff:ff:ff:ff:ff:ff \(\d+ bytes\) crossed sw/);
    assert.match(
      text,
      /crossed sw\S+ -> sw\S+ -> sw\S+ -> sw\S+ -> sw\S+ \d+ times in \d+\.\d ms \(1,001 copies on one link;/,
    );
    assert.match(text, /the switches form a loop \(enable STP\)$/);
  });

  it('does not trip on a tree, nor on a burst of 3,000 different broadcasts over one link', () => {
    const { engine, net, b } = twoSwitches(false);
    const a = net.device('A') as FrameProbe;
    for (let i = 0; i < 3000; i++) engine.schedule(i * 10_000, () => a.send(broadcast(0x020000000001, `request ${i}`)));
    assert.equal(engine.runBounded(3600 * SECOND, 10_000_000), 'idle');
    assert.equal(net.stormWatch.report, undefined);
    assert.equal(b.got.length, 3000);
  });

  it('hashes bytes and length, and formats numbers without a locale', () => {
    assert.notEqual(hashFrame(new Uint8Array([1, 2, 3])), hashFrame(new Uint8Array([1, 2, 4])));
    assert.notEqual(hashFrame(new Uint8Array(0)), hashFrame(new Uint8Array(1)));
    assert.equal(groupDigits(10_000_000), '10,000,000');
    assert.equal(groupDigits(999), '999');
    assert.equal(formatSeconds(3_012_000), '0.003012s');
    assert.equal(formatSeconds(0), '0s');
  });
});

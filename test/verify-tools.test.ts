/**
 * What podnet verify found in the tools' packets, checked without root against bytes the real tools sent
 * (tcpdump -xx in two namespaces on Linux 6.18): iputils ping 20240117 (`ping -c1 -s 20`) sends a
 * struct timeval of the send time (16 bytes) followed by its index pattern (0x10 0x11 0x12 0x13), and
 * traceroute 2.1.2 (`traceroute -n`) sends 32 data bytes 0x40, 0x41, ... ('@', 'A', ...) from a new
 * ephemeral source port per probe.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLab } from '../src/scenario/lab.js';
import { parsePcap } from '../src/observe/pcap.js';
import { hex, toHex } from '../src/wire/testing.js';
import { runCaptured, failureReport } from './support/examples.js';

const LAB = `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: tools, description: two hosts on one cable }
spec:
  nodes:
    - { name: A, kind: host, interfaces: [{ name: eth0, address: 10.0.0.2/24 }] }
    - { name: C, kind: host, interfaces: [{ name: eth0, address: 10.0.0.4/24 }] }
  links:
    - { a: "A:eth0", b: "C:eth0" }
  steps:
    - name: ping -s 20
      ping: { from: A, to: C, count: 2, size: 20 }
      expect: { received: 2 }
    - name: traceroute
      exec: { node: A, command: "traceroute -n C" }
      expect: { status: 0 }
`;

/** The real echo request's ICMP data: timeval (tv_sec 0x6b11acd3, tv_usec 0x077555), then 0x10..0x13. */
const REAL_PING_DATA = hex('d3ac116b00000000 5575070000000000 10111213');
/** The real traceroute probe's UDP data (32 bytes). */
const REAL_TRACEROUTE_DATA = hex('404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f');

function frames(): Uint8Array[] {
  const r = parseLab('tools.yaml', LAB);
  assert.ok(r.ok);
  const { result, captures } = runCaptured(r.lab);
  assert.ok(result.ok, failureReport(result));
  const p = parsePcap(captures[0]!.writer.bytes());
  assert.ok(p.ok);
  return p.value.records.map((x) => x.data);
}

describe("the tools' packets as the real tools send them", () => {
  it('ping: a timeval of the send time, then the index pattern, as iputils', () => {
    const echo = frames().filter((f) => f[23] === 1 && f[34] === 8); // IPv4 proto ICMP, type echo request
    assert.equal(echo.length, 2);
    for (const f of echo) {
      const data = f.subarray(42);
      assert.equal(data.length, REAL_PING_DATA.length);
      assert.equal(toHex(data.subarray(16)), toHex(REAL_PING_DATA.subarray(16)), 'the pattern after the timeval');
      const v = new DataView(data.buffer, data.byteOffset);
      // tv_usec is below a million, and both words are little-endian 64-bit, as on x86-64
      assert.ok(v.getBigUint64(8, true) < 1_000_000n);
    }
    // the second request was sent one interval (1 s) after the first: its tv_sec is one more
    const secs = echo.map((f) => new DataView(f.buffer, f.byteOffset + 42).getBigUint64(0, true));
    assert.equal(secs[1]! - secs[0]!, 1n);
  });

  it('traceroute: 0x40... data and a new source port per probe, as traceroute 2.1', () => {
    const probes = frames().filter((f) => f[23] === 17); // UDP
    assert.ok(probes.length >= 3, `${probes.length} probes`);
    for (const f of probes) assert.equal(toHex(f.subarray(42)), toHex(REAL_TRACEROUTE_DATA));
    const ports = probes.map((f) => (f[34]! << 8) | f[35]!);
    assert.equal(new Set(ports).size, ports.length, `source ports ${ports.join(', ')}`);
    for (const p of ports) assert.ok(p >= 32768 && p <= 60999, `source port ${p} is ephemeral`);
  });
});

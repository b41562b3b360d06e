/**
 * The cost of encapsulation: the same UDP flow from `left` to `right` across two gateways, routed plainly,
 * through a VXLAN tunnel (an L3 vxlan device on each gateway, as flannel.1) and through IP-in-IP.
 * Reports packet-hops per wall second for each path and the bytes each packet takes on the gateway link.
 */
import { parseLab } from '../src/scenario/lab.js';
import { buildLab } from '../src/scenario/build.js';

/** The three data paths compared. */
export type EncapMode = 'routed' | 'vxlan' | 'ipip';

/** One measured path. */
export interface EncapResult {
  mode: EncapMode;
  hops: number;
  datagrams: number;
  delivered: number;
  wallSeconds: number;
  /** Bytes of one datagram's frame on the link between the gateways. */
  bytesOnCoreLink: number;
}

function labText(mode: EncapMode): string {
  const gw = (n: 1 | 2): string => {
    const me = n === 1 ? '192.168.0.1' : '192.168.0.2';
    const peer = n === 1 ? '192.168.0.2' : '192.168.0.1';
    const lan = n === 1 ? '10.1.0.1/24' : '10.2.0.1/24';
    const far = n === 1 ? '10.2.0.0/24' : '10.1.0.0/24';
    const tunAddr = n === 1 ? '10.99.0.1/24' : '10.99.0.2/24';
    const tunPeer = n === 1 ? '10.99.0.2' : '10.99.0.1';
    const dev =
      mode === 'vxlan'
        ? `      vxlans: [{ name: vxlan0, vni: 1, local: ${me}, port: 8472, remotes: [${peer}], address: ${tunAddr} }]\n      routes: [{ to: ${far}, via: ${tunPeer} }]`
        : mode === 'ipip'
          ? `      ipips: [{ name: tunl0, local: ${me}, address: ${tunAddr} }]\n      routes: [{ to: ${far}, via: ${peer}, dev: tunl0 }]`
          : `      routes: [{ to: ${far}, via: ${peer} }]`;
    return `    - name: gw${n}\n      kind: router\n      interfaces: [{ name: eth0, address: ${lan} }, { name: eth1, address: ${me}/24 }]\n${dev}`;
  };
  return `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: encap-${mode} }
spec:
  linkDefaults: { latency: 1us, bandwidth: 10Gbps, mtu: 1500 }
  nodes:
    - { name: left, kind: host, interfaces: [{ name: eth0, address: 10.1.0.2/24 }], routes: [{ to: default, via: 10.1.0.1 }] }
    - { name: right, kind: host, interfaces: [{ name: eth0, address: 10.2.0.2/24 }], routes: [{ to: default, via: 10.2.0.1 }] }
${gw(1)}
${gw(2)}
  links:
    - { a: "left:eth0", b: "gw1:eth0" }
    - { a: "right:eth0", b: "gw2:eth0" }
    - { a: "gw1:eth1", b: "gw2:eth1" }
`;
}

/** Sends `count` 64-byte datagrams one every `intervalNs` and measures the run. */
export function runEncap(mode: EncapMode, count: number, intervalNs = 1_000): EncapResult {
  const r = parseLab(`encap-${mode}.yaml`, labText(mode));
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}: ${e.field}: ${e.message}`).join('\n'));
  const lab = buildLab(r.lab);
  let delivered = 0;
  lab.udp.get('right')!.bind(9, () => delivered++);
  const left = lab.udp.get('left')!;
  const dst = lab.ipNodes.get('right')!.primaryAddress!;
  const payload = new Uint8Array(64);
  let k = 0;
  const tick = (): void => {
    left.send(40000, dst, 9, payload);
    if (++k < count) lab.engine.schedule(intervalNs, tick);
  };
  lab.engine.at(0, tick);
  let bytesOnCoreLink = 0;
  const core = lab.network.links.find((l) => l.a.device.name === 'gw1' && l.b.device.name === 'gw2')!;
  core.ab.tap = (_t, f) => {
    if (f.length > bytesOnCoreLink) bytesOnCoreLink = f.length;
  };
  const t0 = process.hrtime.bigint();
  lab.engine.run();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let hops = 0;
  for (const l of lab.network.links) hops += l.ab.transmitted + l.ba.transmitted;
  return { mode, hops, datagrams: count, delivered, wallSeconds, bytesOnCoreLink };
}

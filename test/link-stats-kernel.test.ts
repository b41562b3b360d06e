/**
 * The Linux kernel as the oracle for `ip -s link`: one lab (below) is built in podnet and, by `podnet up`'s
 * plan, out of real namespaces, veth pairs, bridges and vxlan devices; the same ping commands run on both,
 * then every node's `ip -s link` is compared device by device, header lines and spacing included. The
 * kernel's counters are read live, never written down.
 *
 * What the commands exercise, and how Linux counts it (each seen in a namespace while this was written):
 * - veth (every lab link is one on the kernel side): frames with their Ethernet header, rx being the
 *   peer's tx;
 * - a bridge's own address (vm1 pings hv1's br0): rx from the network header (br_pass_frame_up), tx with
 *   the Ethernet header (br_dev_xmit);
 * - vxlan: inner packets from their network header, both ways; an ARP request head-end replicated to a
 *   remote with no route is a tx error and a carrier error (vxlan200), one with no FDB entry at all is
 *   dropped (vxlan300), three of each since ARP asks three times;
 * - lo: pings to 127.0.0.1 and to the node's own address, counted from the network header, rx = tx.
 *
 * IPv6 is off in every namespace (podnet up's plan), so the kernel sends nothing of its own; the bridges do
 * not snoop multicast. The kernel side waits until every veth and bridge is operational before the first
 * ping: a bridge that is not yet UP drops what its stack sends, and counts it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseLab } from '../src/scenario/lab.js';
import { buildLab } from '../src/scenario/build.js';
import { execCommand } from '../src/scenario/lab-shell.js';
import { formatSpecError } from '../src/scenario/source.js';
import { planUp } from '../src/realtime/real-lab-plan.js';
import { realLabDown, realLabUp } from '../src/realtime/real-lab-run.js';
import { kernelSupports, requireNetns, run, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';

const PING = { bin: 'ping', install: 'apt-get install -y iputils-ping' };

const LAB = `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: stats }
spec:
  linkDefaults: { latency: 1us, bandwidth: 10Gbps }
  nodes:
    - { name: vm1, kind: host, interfaces: [{ name: eth0, mac: "52:54:00:00:00:01", address: 10.10.0.1/24, mtu: 1450 }] }
    - { name: vm2, kind: host, interfaces: [{ name: eth0, mac: "52:54:00:00:00:02", address: 10.10.0.2/24, mtu: 1450 }] }
    - name: hv1
      kind: host
      interfaces:
        - { name: eth0, mac: "02:00:00:00:01:10", address: 192.168.1.10/24 }
        - { name: vnet0, mac: "fe:54:00:00:01:01" }
      vxlans:
        - { name: vxlan100, mac: "02:00:00:00:01:64", vni: 100, local: 192.168.1.10, remotes: [192.168.1.20], mtu: 1450 }
        - { name: vxlan200, mac: "02:00:00:00:01:c8", vni: 200, local: 192.168.1.10, remotes: [203.0.113.9], address: 10.20.0.1/24 }
        - { name: vxlan300, mac: "02:00:00:00:01:2c", vni: 300, local: 192.168.1.10, address: 10.30.0.1/24 }
      bridges:
        - { name: br0, mac: "02:00:00:00:01:b0", ports: [vnet0, vxlan100], address: 10.10.0.254/24 }
    - name: hv2
      kind: host
      interfaces:
        - { name: eth0, mac: "02:00:00:00:02:10", address: 192.168.1.20/24 }
        - { name: vnet0, mac: "fe:54:00:00:02:01" }
      vxlans:
        - { name: vxlan100, mac: "02:00:00:00:02:64", vni: 100, local: 192.168.1.20, remotes: [192.168.1.10], mtu: 1450 }
      bridges:
        - { name: br0, mac: "02:00:00:00:02:b0", ports: [vnet0, vxlan100] }
  links:
    - { a: "vm1:eth0", b: "hv1:vnet0" }
    - { a: "vm2:eth0", b: "hv2:vnet0" }
    - { a: "hv1:eth0", b: "hv2:eth0" }
`;

/** What runs, in order, on both sides: [node, command line]. */
const COMMANDS: [string, string][] = [
  ['vm1', 'ping -c 3 -i 0.2 10.10.0.2'],
  ['vm1', 'ping -c 2 -i 0.2 10.10.0.254'],
  ['vm1', 'ping -c 1 10.10.0.1'],
  ['hv1', 'ping -c 2 -i 0.2 127.0.0.1'],
  ['hv1', 'ping -c 1 -W 4 10.20.0.2'],
  ['hv1', 'ping -c 1 -W 4 10.30.0.2'],
];

/** `ip -s link` cut into each device's four counter lines, by device name (indexes differ between the sides). */
function statsByDevice(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let dev: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (dev !== undefined) out.set(dev, lines.join('\n'));
  };
  for (const line of text.split('\n')) {
    const m = /^\d+: ([^:@]+)[:@]/.exec(line);
    if (m !== null) {
      flush();
      dev = m[1];
      lines = [];
    } else if (/^ {4}(RX|TX):|^ {4} *\d/.test(line)) lines.push(line);
  }
  flush();
  return out;
}

describe('ip -s link as the Linux kernel counts (namespaces as the oracle)', () => {
  it('veth, bridge, vxlan and lo counters after the same pings, device by device', async (t) => {
    if (!requireNetns(t) || !requirePeer(t, 'iputils ping', PING)) return;
    const vxlan = kernelSupports('vxlan');
    if (!vxlan.ok) {
      assert.ok(process.env.CI !== 'true', `the kernel cannot make vxlan devices: ${vxlan.error}`);
      t.skip(`the kernel cannot make vxlan devices: ${vxlan.error}`);
      return;
    }
    const parsed = parseLab('stats.yaml', LAB);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.map(formatSpecError).join('\n'));
    const spec = parsed.lab;

    // podnet: each command runs to its end, then the next, on one lab
    const lab = buildLab(spec);
    const podnet = (node: string, line: string): string => {
      let out: { status: number; stdout: string } | undefined;
      execCommand(lab, node, line.split(' '), (r) => {
        out = r;
        lab.engine.stop();
      });
      lab.engine.run();
      assert.ok(out !== undefined, `${node}: ${line} did not finish`);
      return out.stdout;
    };
    for (const [node, line] of COMMANDS) podnet(node, line);

    // the kernel
    const plan = planUp(spec, `pn-${process.pid}-st-`);
    const up = realLabUp(plan);
    assert.ok(up.ok, up.ok ? '' : up.error);
    const kernel = new Map<string, string>();
    try {
      const ns = (node: string): string => plan.prefix + node;
      const operational = (node: string): boolean => {
        const links = JSON.parse(run('ip', ['-n', ns(node), '-j', '-d', 'link', 'show'])) as {
          ifname: string;
          operstate?: string;
          linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { state?: string } };
        }[];
        return links.every(
          (l) =>
            (l.linkinfo?.info_kind !== 'veth' && l.linkinfo?.info_kind !== 'bridge') ||
            (l.operstate === 'UP' &&
              (l.linkinfo.info_slave_kind !== 'bridge' || l.linkinfo.info_slave_data?.state === 'forwarding')),
        );
      };
      for (const n of spec.nodes) await waitFor(`${n.name} operational`, () => operational(n.name), 5_000);
      for (const [node, line] of COMMANDS) {
        try {
          run('ip', ['netns', 'exec', ns(node), ...line.split(' ')], 15_000);
        } catch {
          // the pings to 10.20.0.2 and 10.30.0.2 fail on purpose (exit 1)
        }
      }
      for (const n of spec.nodes) kernel.set(n.name, run('ip', ['-n', ns(n.name), '-s', 'link']));
    } finally {
      realLabDown(plan);
    }

    const diffs: string[] = [];
    for (const n of spec.nodes) {
      const k = statsByDevice(kernel.get(n.name)!);
      const p = statsByDevice(podnet(n.name, 'ip -s link'));
      assert.ok(k.size > 1, `${n.name}: no devices read from the kernel's output:\n${kernel.get(n.name)}`);
      for (const [dev, want] of k) {
        const got = p.get(dev);
        if (got !== want) diffs.push(`${n.name} ${dev}:\n  kernel:\n${want}\n  podnet:\n${got ?? '(no such device)'}`);
      }
      assert.deepEqual([...p.keys()].sort(), [...k.keys()].sort(), `${n.name}: the devices differ`);
    }
    assert.equal(diffs.length, 0, `podnet's counters differ from the kernel's:\n${diffs.join('\n')}`);
  });
});

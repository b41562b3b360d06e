/**
 * `podnet up` as data: the commands planned for example labs, checked without root. What each line must
 * say comes from iproute2's own syntax (ip-link(8), bridge(8), tc-tbf(8)) and from what the kernel needs
 * (ip_forward on routers only, IPv6 off before any device exists, routes after the devices are up).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLab, type LabSpec } from '../src/scenario/lab.js';
import { planUp, planDown } from '../src/realtime/real-lab-plan.js';
import { cli } from './support/cli.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function lab(name: string): LabSpec {
  const r = parseLab(`examples/${name}.yaml`, readFileSync(resolve(ROOT, 'examples', `${name}.yaml`), 'utf8'));
  assert.ok(r.ok, `examples/${name}.yaml does not validate`);
  return r.lab;
}

const lines = (spec: LabSpec, prefix = 'pn-t-'): string[] => planUp(spec, prefix).commands.map((c) => c.argv.join(' '));
const indexOf = (ls: string[], line: string): number => {
  const i = ls.indexOf(line);
  assert.ok(i >= 0, `no command ${JSON.stringify(line)} in the plan:\n${ls.join('\n')}`);
  return i;
};

describe('podnet up plan', () => {
  it('two-subnets: a namespace per node, IPv6 off first, ip_forward only on routers, veths, MACs, routes last', () => {
    const ls = lines(lab('two-subnets'));
    const plan = planUp(lab('two-subnets'), 'pn-t-');
    assert.equal(plan.namespaces.length, 14);
    assert.deepEqual(plan.namespaces[0], { node: 'A', ns: 'pn-t-A' });
    const add = indexOf(ls, 'ip netns add pn-t-A');
    const v6 = indexOf(
      ls,
      'ip netns exec pn-t-A sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1',
    );
    const veth = indexOf(ls, 'ip -n pn-t-A link add name eth0 type veth peer name p1 netns pn-t-sw1');
    assert.ok(add < v6 && v6 < veth, 'IPv6 is turned off before the first device is made');
    indexOf(ls, 'ip netns exec pn-t-A sysctl -q -w net.ipv4.ip_forward=0');
    indexOf(ls, 'ip netns exec pn-t-router1 sysctl -q -w net.ipv4.ip_forward=1');
    indexOf(
      ls,
      'ip netns exec pn-t-A sysctl -q -w net.ipv4.tcp_rmem=4096 131072 6291456 net.ipv4.tcp_wmem=4096 16384 4194304',
    );
    indexOf(ls, 'ip -n pn-t-A link set dev eth0 address 02:00:00:00:00:aa mtu 1500');
    indexOf(ls, 'ip -n pn-t-A addr add 10.0.0.2/24 brd + dev eth0');
    indexOf(ls, 'ip -n pn-t-sw1 link add name sw1 type bridge mcast_snooping 0');
    indexOf(ls, 'ip -n pn-t-sw1 link set dev p1 master sw1');
    // the router-to-router link is 10 Gbps; tbf's burst must cover 10 ms of it
    indexOf(
      ls,
      'tc -n pn-t-router1 qdisc add dev eth1 root handle 1: tbf rate 10000000000bit burst 12500000 limit 1514000',
    );
    const route = indexOf(ls, 'ip -n pn-t-A route add default via 10.0.0.1');
    const lastUp = ls.reduce((k, l, i) => (l.includes(' link set dev ') && l.endsWith(' up') ? i : k), -1);
    assert.ok(route > lastUp, 'routes come after every device is up (a gateway needs its connected route)');
    const hosts = plan.files.find((f) => f.path === '/etc/netns/pn-t-A/hosts');
    assert.ok(hosts?.text.includes('10.0.1.5\tH\n'), 'node names resolve in the namespaces (traceroute -n H)');
    assert.deepEqual(plan.unsupported, []);
    assert.deepEqual(
      planDown(plan).map((c) => c.argv.join(' ')),
      plan.namespaces.map((x) => `ip netns delete ${x.ns}`),
    );
  });

  it('hub-vs-switch: a hub is a bridge that never learns (ageing_time 0)', () => {
    indexOf(
      lines(lab('hub-vs-switch')),
      'ip -n pn-t-hub1 link add name hub1 type bridge mcast_snooping 0 ageing_time 0',
    );
  });

  it('vlans: vlan_filtering with access ports untagged in their VLAN and a tagged trunk', () => {
    const ls = lines(lab('vlans'));
    indexOf(ls, 'ip -n pn-t-sw1 link add name sw1 type bridge mcast_snooping 0 vlan_filtering 1 vlan_default_pvid 0');
    indexOf(ls, 'bridge -n pn-t-sw1 vlan add dev p2 vid 20 pvid untagged');
    indexOf(ls, 'bridge -n pn-t-sw1 vlan add dev p8 vid 10');
    indexOf(ls, 'bridge -n pn-t-sw1 vlan add dev p8 vid 20');
    const made = planUp(lab('vlans'), 'pn-t-').commands.find((c) => c.argv.includes('vlan_filtering'));
    assert.match(made?.feature ?? '', /CONFIG_BRIDGE_VLAN_FILTERING/);
  });

  it('switch-loop-stp: STP with the bridge and port MACs podnet uses', () => {
    const ls = lines(lab('switch-loop-stp'));
    indexOf(
      ls,
      'ip -n pn-t-sw1 link add name sw1 address 02:00:00:00:03:00 type bridge mcast_snooping 0 stp_state 1 priority 32768',
    );
    indexOf(ls, 'ip -n pn-t-sw1 link set dev p1 address 02:00:00:00:03:01');
    // a veth reports 10 Gb/s (STP cost 2); the lab's links are 1 Gb/s, cost 4 (br_if.c port_cost)
    indexOf(ls, 'ip -n pn-t-sw1 link set dev p1 type bridge_slave cost 4');
  });

  it('vxlan-migration: vxlan without learning, with proxy, its flood list, FDB and ARP entries', () => {
    const ls = lines(lab('vxlan-migration'));
    const vx = planUp(lab('vxlan-migration'), 'pn-t-').commands.find((c) => c.argv.includes('vxlan'));
    assert.equal(vx?.module, 'vxlan');
    indexOf(
      ls,
      'ip -n pn-t-hv1 link add name vxlan0 address 02:00:00:00:03:41 mtu 1450 type vxlan id 42 local 192.168.0.1 dstport 4789 nolearning proxy',
    );
    indexOf(ls, 'bridge -n pn-t-hv1 fdb replace 52:54:00:00:00:09 dev vxlan0 dst 192.168.0.3');
    indexOf(ls, 'ip -n pn-t-hv1 neigh replace 10.20.0.9 lladdr 52:54:00:00:00:09 dev vxlan0 nud permanent');
    // hv2's vnet0 is on no link yet: a veth whose peer stays down (no carrier), as an unplugged NIC
    indexOf(ls, 'ip -n pn-t-hv2 link add name vnet0 type veth peer name unplugged1');
  });

  it('vxlan-nat-gateway: iptables rules through iptables-restore, and a warning for the HTTP server', () => {
    const plan = planUp(lab('vxlan-nat-gateway'), 'pn-t-');
    const restore = plan.commands.find((c) => c.argv.includes('iptables-restore'));
    assert.deepEqual(restore?.argv, ['ip', 'netns', 'exec', 'pn-t-gw', 'iptables-restore']);
    assert.match(restore?.stdin ?? '', /^(\[0:0\] )?-A POSTROUTING -s 10\.10\.0\.0\/24 -o eth1 -j MASQUERADE$/m);
    assert.match(restore?.stdin ?? '', /^:FORWARD DROP/m);
    assert.ok(plan.warnings.some((w) => w.includes('web') && w.includes('HTTP')));
  });

  it('ipip needs the ipip module; udp-encap (flanneld) cannot be built', () => {
    const ipip = planUp(lab('ipip'), 'pn-t-').commands.find((c) => c.argv.includes('ipip'));
    assert.equal(ipip?.module, 'ipip');
    const udp = planUp(lab('udp-encap'), 'pn-t-');
    assert.ok(udp.unsupported.some((u) => u.includes('flannel0') && u.includes('agent')));
  });

  it('router-on-a-stick: VLAN devices with ip link add link ... type vlan, which need the 8021q module', () => {
    const plan = planUp(lab('router-on-a-stick'), 'pn-t-');
    const ls = plan.commands.map((c) => c.argv.join(' '));
    const at = indexOf(ls, 'ip -n pn-t-R link add link eth0 name eth0.10 type vlan id 10');
    assert.equal(plan.commands[at]?.module, '8021q');
    assert.ok(
      indexOf(ls, 'ip -n pn-t-R addr add 10.0.20.1/24 brd + dev eth0.20') >
        indexOf(ls, 'ip -n pn-t-R link add link eth0 name eth0.20 type vlan id 20'),
    );
  });

  it('podnet up --dry-run prints the plan without root', async () => {
    const r = await cli('up', resolve(ROOT, 'examples/same-subnet.yaml'), '--dry-run', '--prefix', 'x-');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ip -n x-A link add name eth0 type veth peer name p1 netns x-sw1$/m);
    const bad = await cli('up', resolve(ROOT, 'examples/udp-encap.yaml'), '--dry-run');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /^# cannot build: node1: flannel0/m);
  });
});

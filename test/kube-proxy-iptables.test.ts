/**
 * kube-proxy's rules against the real iptables (v1.8.9, nf_tables) in a network namespace the test makes:
 * the jumps and one full sync are loaded with the real iptables-restore --noflush, and the real
 * iptables-save must print, line for line, what podnet's `iptables-save` prints after podnet loaded the same
 * text. That proves the text is in the form the kernel hands back (so a user can diff a node against a real
 * cluster) and that podnet's iptables-save lays out tables, chains and counters as the tool does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { parseCidr, parseIpv4, type Ipv4 } from '../src/wire/addr.js';
import { generateProxyRules, jumpRulesText, restoreText } from '../src/control/kube-proxy/proxier.js';
import type { ProxyService } from '../src/control/kube-proxy/types.js';
import { parseIptablesSave } from '../src/net/netfilter/iptables-restore.js';
import { emptyRuleset } from '../src/net/netfilter/rules.js';
import { iptablesSave } from '../src/net/netfilter/iptables-save.js';
import { proxyEndpoint, proxyPort } from '../src/control/kube-proxy/testing.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

const svc = proxyPort;
const ep = (a: string, node: string, port = 8080) => proxyEndpoint(a, node, { port });

const SERVICES: ProxyService[] = [
  {
    port: svc({ service: 'web', clusterIP: ip('10.43.0.20') }),
    endpoints: [ep('10.42.0.5', 'node1'), ep('10.42.1.6', 'node2'), ep('10.42.2.7', 'node3')],
  },
  {
    port: svc({ service: 'empty', portName: '', clusterIP: ip('10.43.0.30'), nodePort: 30090, type: 'NodePort' }),
    endpoints: [],
  },
  {
    port: svc({
      service: 'local',
      clusterIP: ip('10.43.0.40'),
      nodePort: 30080,
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
    }),
    endpoints: [ep('10.42.1.6', 'node2')],
  },
  {
    port: svc({
      service: 'lb',
      clusterIP: ip('10.43.0.50'),
      nodePort: 30443,
      type: 'LoadBalancer',
      sessionAffinity: 'ClientIP',
      externalIPs: [ip('192.0.2.10')],
      loadBalancerIPs: [ip('192.168.56.11')],
    }),
    endpoints: [ep('10.42.0.5', 'node1'), ep('10.42.1.6', 'node2')],
  },
  {
    // loadBalancerSourceRanges: a KUBE-FW- chain (one range holds the node IP) and KUBE-PROXY-FIREWALL drops
    port: svc({
      service: 'fw',
      clusterIP: ip('10.43.0.60'),
      port: 8443,
      nodePort: 30444,
      type: 'LoadBalancer',
      loadBalancerIPs: [ip('192.168.56.11'), ip('192.168.56.12')],
      loadBalancerSourceRanges: [parseCidr('192.168.56.0/24')!, parseCidr('203.0.113.0/25')!],
    }),
    endpoints: [ep('10.42.0.5', 'node1')],
  },
  {
    port: svc({
      namespace: 'kube-system',
      service: 'kube-dns',
      portName: 'dns',
      protocol: 'UDP',
      port: 53,
      clusterIP: ip('10.43.0.10'),
    }),
    endpoints: [ep('10.42.0.3', 'node1', 53)],
  },
];

test('real iptables-save prints what podnet prints for the same kube-proxy sync', (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'iptables', { bin: 'iptables-restore', install: 'apt-get install -y iptables' })
  )
    return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('node');
  const rules = generateProxyRules(
    SERVICES,
    { name: 'node1', ip: ip('192.168.56.11') },
    { clusterCIDR: parseCidr('10.42.0.0/16')! },
  );
  const texts = [jumpRulesText(), restoreText(rules)];
  const ours = emptyRuleset();
  for (const text of texts) {
    const r = spawnSync('ip', ['netns', 'exec', ns.full('node'), 'iptables-restore', '--noflush'], {
      input: text,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `real iptables-restore: ${r.stderr}`);
    const p = parseIptablesSave(text, ours, { noflush: true });
    assert.ok(p.ok, JSON.stringify(!p.ok && p.errors));
  }
  const strip = (s: string): string[] => s.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  for (const args of [[], ['-t', 'nat'], ['-c', '-t', 'filter']]) {
    const real = spawnSync('ip', ['netns', 'exec', ns.full('node'), 'iptables-save', ...args], { encoding: 'utf8' });
    assert.equal(real.status, 0, real.stderr);
    const mine = iptablesSave(ours, args, 0);
    assert.deepEqual(strip(mine.stdout), strip(real.stdout), `iptables-save ${args.join(' ')}`);
    // the header and footer lines, without the date
    assert.deepEqual(
      mine.stdout
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/ on .*/, '')),
      real.stdout
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .map((l) => l.replace(/ on .*/, '')),
    );
  }
});

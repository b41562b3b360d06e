/**
 * A node's `sysctl: { net.ipv4.tcp_congestion_control: reno | cubic }`, named as Linux names it: new TCP
 * connections of the node use that algorithm (CUBIC when unset, Linux's default), and `podnet up` writes the
 * same sysctl in the node's namespace, always, since a new namespace copies the machine's (on this machine
 * a new namespace starts with bbr: `ip netns exec X sysctl net.ipv4.tcp_congestion_control`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLab } from '../src/scenario/lab.js';
import { buildLab } from '../src/scenario/build.js';
import { formatSpecError } from '../src/scenario/source.js';
import { planUp } from '../src/realtime/real-lab-plan.js';

function lab(sysctl: string): string {
  return [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Lab',
    'metadata: { name: t }',
    'spec:',
    '  nodes:',
    '    - name: A',
    '      kind: host',
    '      interfaces: [{ name: eth0, address: 10.0.0.1/24 }]',
    `      ${sysctl}`,
    '    - { name: B, kind: host, interfaces: [{ name: eth0, address: 10.0.0.2/24 }] }',
    '  links: [{ a: "A:eth0", b: "B:eth0" }]',
    '',
  ].join('\n');
}

test('sysctl net.ipv4.tcp_congestion_control picks the algorithm of new connections; cubic by default', () => {
  const r = parseLab('t.yaml', lab('sysctl: { net.ipv4.tcp_congestion_control: reno }'));
  assert.ok(r.ok, r.ok ? '' : r.errors.map(formatSpecError).join('\n'));
  const built = buildLab(r.lab);
  assert.equal(built.tcp.get('A')!.config.congestionControl, 'reno');
  assert.equal(built.tcp.get('B')!.config.congestionControl, 'cubic');
  const cmds = planUp(r.lab, 'pn-t-').commands.map((c) => c.argv.join(' '));
  assert.ok(cmds.includes('ip netns exec pn-t-A sysctl -q -w net.ipv4.tcp_congestion_control=reno'));
  assert.ok(cmds.includes('ip netns exec pn-t-B sysctl -q -w net.ipv4.tcp_congestion_control=cubic'));
});

test('an algorithm podnet does not have, or another sysctl, is refused with the choices', () => {
  const errors = (s: string): string[] => {
    const r = parseLab('t.yaml', lab(s));
    return r.ok ? [] : r.errors.map(formatSpecError);
  };
  assert.deepEqual(errors('sysctl: { net.ipv4.tcp_congestion_control: bbr }'), [
    't.yaml:9:50: spec.nodes[0].sysctl["net.ipv4.tcp_congestion_control"]: "bbr" is not one of: cubic, reno',
  ]);
  assert.match(
    errors('sysctl: { net.ipv4.tcp_ecn: 1 }')[0] ?? '',
    /unknown field "net\.ipv4\.tcp_ecn" \(expected one of: net\.ipv4\.tcp_congestion_control\)/,
  );
});

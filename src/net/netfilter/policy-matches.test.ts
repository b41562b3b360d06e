/**
 * The netfilter pieces policy enforcers' rules need, on packets: `-m physdev --physdev-is-bridged` (true
 * only for a frame br_netfilter hands over), `--icmp-type`, SCTP destination ports, NFLOG (logs nothing,
 * goes on), `-m limit` read and matching; and ipset's `nomatch` (the longest prefix decides, as
 * `ipset test` answered in a namespace: 10.1.2.3 is NOT in a set of 10.0.0.0/8 with 10.1.0.0/16 nomatch),
 * `timeout 0` in list and save (ipset v7.17's text), and `ipset restore -exist` with swap and destroy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4 } from '../../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import { buildIpv4 } from '../../wire/ipv4.js';
import { Netfilter, type NetfilterHost } from './netfilter.js';
import { parseIptablesSave } from './iptables-restore.js';
import { applyIpsetRestore, formatIpsetList, formatIpsetSave, Ipset, IpsetRegistry, parseMember } from './ipset.js';
import { bridgeNetfilter } from '../br-netfilter.js';

const ip = (s: string) => parseIpv4(s)!;

function host(drops: string[]): NetfilterHost {
  return {
    name: 'n',
    engine: { now: 0, stream: () => ({ next: () => 0.5 }) },
    isLocal: () => false,
    masqueradeAddress: () => undefined,
    note: () => {},
    drop: (_r, _f, _p, detail) => drops.push(detail),
    reject: () => {},
    resetTcp: () => {},
  };
}

/** An IPv4 frame with protocol `proto` whose first L4 bytes are `l4`. */
function frame(proto: number, l4: number[]): Uint8Array {
  const payload = new Uint8Array(20);
  payload.set(l4);
  const pkt = buildIpv4(
    {
      tos: 0,
      id: 1,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: proto,
      src: ip('10.42.0.2'),
      dst: ip('10.42.0.3'),
      options: new Uint8Array(0),
    },
    payload,
  );
  return buildEthernet({ dst: 2, src: 4, ethertype: ETHERTYPE_IPV4, payload: pkt });
}

function firewall(rules: string[]): { nf: Netfilter; drops: string[] } {
  const drops: string[] = [];
  const nf = new Netfilter(host(drops));
  const r = parseIptablesSave(['*filter', ...rules, 'COMMIT'].join('\n'), nf.ruleset);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  return { nf, drops };
}

const forwarded = (nf: Netfilter, f: Uint8Array): boolean => {
  const ctx = nf.prerouting(f, f.length - 14, 'eth0')!;
  return nf.forward(f, f.length - 14, ctx, 'eth0', 'eth1');
};

describe('netfilter matches for policy enforcers', () => {
  it('physdev --physdev-is-bridged holds for bridged frames only', () => {
    const { nf } = firewall([
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -m physdev --physdev-is-bridged -m comment --comment "bridged" -j DROP',
    ]);
    assert.equal(forwarded(nf, frame(17, [0, 1, 0, 2])), true, 'routed: no match');
    assert.equal(bridgeNetfilter(nf, 'cni0', frame(17, [0, 1, 0, 2])), false, 'bridged: dropped');
  });

  it('--icmp-type matches the type (names and numbers), NFLOG and limit go on to the next rule', () => {
    const { nf } = firewall([
      ':FORWARD DROP [0:0]',
      '-A FORWARD -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-prefix "DROP by policy x/p" --nflog-group 100',
      '-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT',
      '-A FORWARD -p icmp --icmp-type time-exceeded -j ACCEPT',
    ]);
    assert.equal(forwarded(nf, frame(1, [8, 0, 0, 0, 0, 7, 0, 1])), true, 'echo request');
    assert.equal(forwarded(nf, frame(1, [11, 0])), true, 'time exceeded');
    assert.equal(forwarded(nf, frame(1, [13, 0, 0, 0, 0, 9, 0, 1])), false, 'timestamp: the policy drops it');
    assert.equal(nf.ruleset.filter.get('FORWARD')!.rules[0]!.packets, 3, 'NFLOG saw all three');
  });

  it('SCTP ports match like TCP and UDP ones; --dports takes a range', () => {
    const { nf } = firewall([
      ':FORWARD DROP [0:0]',
      '-A FORWARD -p sctp -m sctp --dport 9000 -j ACCEPT',
      '-A FORWARD -p udp -m multiport --dports 30000:32767 -j ACCEPT',
    ]);
    assert.equal(forwarded(nf, frame(132, [0x9c, 0x40, 0x23, 0x28])), true, 'SCTP to 9000');
    assert.equal(forwarded(nf, frame(132, [0x9c, 0x40, 0x23, 0x29])), false, 'SCTP to 9001');
    assert.equal(forwarded(nf, frame(17, [0x9c, 0x40, 0x75, 0x31])), true, 'UDP to 30001');
  });
});

describe('ipset nomatch, timeout and restore', () => {
  it('the longest matching prefix decides: a nomatch member carves its range out', () => {
    const s = new Ipset('KUBE-SRC-X', 'hash:net', 0, { timeout: 0 });
    for (const m of ['10.0.0.0/8', '0.0.0.0/1']) s.add(parseMember(m)!);
    s.add({ ...parseMember('10.1.0.0/16')!, nomatch: true });
    assert.equal(s.has(ip('10.1.2.3')), false);
    assert.equal(s.has(ip('10.2.0.1')), true);
    assert.equal(s.has(ip('11.0.0.1')), true, 'the /1 holds it');
    assert.equal(s.has(ip('200.0.0.1')), false);
    // ipset v7.17 in a namespace: "Size in memory: 648", members "10.1.0.0/16 timeout 0 nomatch"
    const list = formatIpsetList(s, 0).split('\n');
    assert.equal(list[3], 'Header: family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0x00000000');
    assert.equal(list[4], 'Size in memory: 648');
    assert.deepEqual(list.slice(8), ['0.0.0.0/1 timeout 0', '10.0.0.0/8 timeout 0', '10.1.0.0/16 timeout 0 nomatch']);
    assert.match(formatIpsetSave(s), /\nadd KUBE-SRC-X 10\.1\.0\.0\/16 timeout 0 nomatch$/m);
  });

  it('restore -exist fills a temporary set and swaps it in; destroy refuses a set in use', () => {
    const reg = new IpsetRegistry(() => 0);
    const text = [
      'create TMP-A hash:ip timeout 0',
      'flush TMP-A',
      'add TMP-A 10.42.0.2 timeout 0',
      'add TMP-A 10.42.0.2 timeout 0',
      'create KUBE-DST-A hash:ip timeout 0',
      'swap TMP-A KUBE-DST-A',
      'flush TMP-A',
      'destroy TMP-A',
    ].join('\n');
    assert.equal(applyIpsetRestore(reg, text, { exist: true }), undefined);
    assert.deepEqual(
      reg.all().map((s) => [s.name, s.size]),
      [['KUBE-DST-A', 1]],
    );
    assert.equal(reg.get('KUBE-DST-A')!.has(ip('10.42.0.2')), true);
    // without -exist a second add is the tool's error, with its line
    assert.deepEqual(applyIpsetRestore(reg, 'add KUBE-DST-A 10.42.0.2 timeout 0'), {
      line: 1,
      message: "Element cannot be added to the set: it's already added",
    });
    assert.deepEqual(applyIpsetRestore(reg, 'destroy KUBE-DST-A', { inUse: () => true }), {
      line: 1,
      message: 'Set cannot be destroyed: it is in use by a kernel component',
    });
  });
});

/**
 * ipset's sets and text against the real tool: the expected blocks are what ipset v7.17 printed in a network
 * namespace (kernel 6.1) for the same commands, `ipset create cali40all-ipam-pools hash:net family inet
 * hashsize 1024 maxelem 1048576`, three adds, then `ipset -sorted list` / `ipset -sorted save`. The initval
 * is the one the kernel drew there. The `-m set` match is read from Felix's own rule text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import type { IpsetMember } from './ipset.js';
import {
  Ipset,
  IpsetRegistry,
  formatIpsetList,
  formatIpsetSave,
  ipsetCommand,
  ipsetMessage,
  parseIpPortMember,
  parseMember,
  setMatchHit,
  applyIpsetRestore,
} from './ipset.js';
import { parseRule, tokenize } from './rule-parse.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

function allPools(): Ipset {
  const s = new Ipset('cali40all-ipam-pools', 'hash:net', 0x4678c7eb, { hashsize: 1024, maxelem: 1048576 });
  for (const m of ['192.168.0.0/16', '10.0.0.0/8', '10.1.2.3/32']) assert.equal(s.add(parseMember(m)!), undefined);
  return s;
}

describe('ipset', () => {
  it('lists a hash:net set as ipset v7.17 does (members in -sorted order, /32 without its length)', () => {
    assert.equal(
      formatIpsetList(allPools(), 1),
      [
        'Name: cali40all-ipam-pools',
        'Type: hash:net',
        'Revision: 7',
        'Header: family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x4678c7eb',
        'Size in memory: 600',
        'References: 1',
        'Number of entries: 3',
        'Members:',
        '10.0.0.0/8',
        '10.1.2.3',
        '192.168.0.0/16',
      ].join('\n'),
    );
  });

  it('saves it as ipset save does', () => {
    assert.equal(
      formatIpsetSave(allPools()),
      [
        'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x4678c7eb',
        'add cali40all-ipam-pools 10.0.0.0/8',
        'add cali40all-ipam-pools 10.1.2.3',
        'add cali40all-ipam-pools 192.168.0.0/16',
      ].join('\n'),
    );
  });

  it('lists a hash:ip set with its own revision, defaults and memory figure', () => {
    const s = new Ipset('cali40this-host', 'hash:ip', 0x8615e1a3);
    s.add({ addr: ip('172.171.5.95'), len: 32 });
    s.add({ addr: ip('10.1.2.3'), len: 32 });
    assert.equal(
      formatIpsetList(s, 0),
      [
        'Name: cali40this-host',
        'Type: hash:ip',
        'Revision: 6',
        'Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x8615e1a3',
        'Size in memory: 296',
        'References: 0',
        'Number of entries: 2',
        'Members:',
        '10.1.2.3',
        '172.171.5.95',
      ].join('\n'),
    );
  });

  it('tests membership: an address inside a stored network (hash:net), the exact address (hash:ip)', () => {
    const net = allPools();
    assert.equal(net.has(ip('192.168.3.4')), true);
    assert.equal(net.has(ip('10.200.0.1')), true);
    assert.equal(net.has(ip('172.16.0.1')), false);
    const one = new Ipset('h', 'hash:ip', 0);
    one.add({ addr: ip('10.0.0.0'), len: 30 });
    assert.deepEqual(
      ['10.0.0.0', '10.0.0.3', '10.0.0.4'].map((a) => one.has(ip(a))),
      [true, true, false],
    );
    assert.equal(one.size, 4, 'a CIDR added to hash:ip is every address in it');
  });

  it("refuses a duplicate add and a delete of a non-member with ipset's messages", () => {
    const s = allPools();
    const dup = s.add(parseMember('10.1.2.3')!);
    assert.equal(dup, 'already-added');
    assert.equal(ipsetMessage(dup), "Element cannot be added to the set: it's already added");
    const missing = s.del(parseMember('10.9.9.9')!);
    assert.equal(missing, 'not-added');
    assert.equal(ipsetMessage(missing), "Element cannot be deleted from the set: it's not added");
    assert.equal(s.del(parseMember('10.0.0.0/8')!), undefined);
    assert.equal(s.has(ip('10.200.0.1')), false);
  });

  it('keeps sets per registry, by name, and refuses a second set of the same name', () => {
    const reg = new IpsetRegistry(() => 7);
    const a = reg.create('cali40masq-ipam-pools', 'hash:net');
    assert.ok(a instanceof Ipset);
    assert.equal(reg.create('cali40masq-ipam-pools', 'hash:ip'), 'exists');
    assert.equal(reg.destroy('cali40masq-ipam-pools', true), 'in-use');
    assert.equal(reg.destroy('nope', false), 'no-such-set');
    assert.deepEqual(
      reg.all().map((s) => s.name),
      ['cali40masq-ipam-pools'],
    );
  });

  it("reads Felix's -m set matches, negation included, and keeps the rule's text for iptables-save", () => {
    const text =
      '-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully';
    const words = tokenize(text)!.slice(2);
    const r = parseRule(words, text, 'nat');
    assert.ok(typeof r !== 'string', typeof r === 'string' ? r : '');
    assert.deepEqual(r.sets, [
      { name: 'cali40masq-ipam-pools', flags: ['src'], neg: false },
      { name: 'cali40all-ipam-pools', flags: ['dst'], neg: true },
    ]);
    assert.deepEqual(r.target, { kind: 'MASQUERADE', randomFully: true });
    assert.equal(r.text, text);
    assert.equal(
      parseRule(['-m', 'set', '--match-set', 'x', 'both'], '', 'nat'),
      '--match-set x needs src or dst flags, got "both"',
    );
    assert.equal(
      parseRule(['-m', 'set', '--match-set', 'x', 'dst,sport'], '', 'nat'),
      '--match-set x needs src or dst flags, got "dst,sport"',
    );
  });

  it("reads Felix's named-port match (`dst,dst`, `! ... src,src`) and keeps its text", () => {
    const text =
      '-A cali-pi-_x -p tcp -m comment --comment "cali:AAAA" -m set --match-set cali40n:AAAA dst,dst -m set ! --match-set cali40n:BBBB src,src -j MARK --set-xmark 0x10000/0x10000';
    const r = parseRule(tokenize(text)!.slice(2), text, 'filter');
    assert.ok(typeof r !== 'string', typeof r === 'string' ? r : '');
    assert.deepEqual(r.sets, [
      { name: 'cali40n:AAAA', flags: ['dst', 'dst'], neg: false },
      { name: 'cali40n:BBBB', flags: ['src', 'src'], neg: true },
    ]);
    assert.equal(r.text, text);
  });

  it("runs the read-only ipset commands with the tool's text: list, list -n, save, and its errors", () => {
    const reg = new IpsetRegistry(() => 0x1d89b39a);
    const masq = reg.create('cali40masq-ipam-pools', 'hash:net', { maxelem: 1048576 });
    assert.ok(masq instanceof Ipset);
    masq.add(parseMember('192.168.0.0/16')!);
    const other = reg.create('cali40this-host', 'hash:ip');
    assert.ok(other instanceof Ipset);
    const list = ipsetCommand(reg, undefined, ['list']);
    assert.equal(list.status, 0);
    assert.match(
      list.stdout,
      /^Name: cali40masq-ipam-pools\n[^]*\n192\.168\.0\.0\/16\n\nName: cali40this-host\n[^]*Members:\n$/,
    );
    assert.equal(ipsetCommand(reg, undefined, ['list', '-n']).stdout, 'cali40masq-ipam-pools\ncali40this-host\n');
    assert.equal(
      ipsetCommand(reg, undefined, ['save', 'cali40masq-ipam-pools']).stdout,
      'create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1d89b39a\nadd cali40masq-ipam-pools 192.168.0.0/16\n',
    );
    assert.deepEqual(ipsetCommand(reg, undefined, ['list', 'nope']), {
      status: 1,
      stdout: '',
      stderr: 'ipset v7.17: The set with the given name does not exist\n',
    });
    assert.equal(
      ipsetCommand(reg, undefined, ['foo']).stderr.split('\n')[0],
      'ipset v7.17: No command specified: unknown argument foo',
    );
    assert.equal(ipsetCommand(undefined, undefined, ['list']).stdout, '', 'no sets: nothing, as on a fresh namespace');
  });

  /** A hash:ip,port set with the members the real tool was given (see the next test for the commands). */
  function ipPort(): Ipset {
    const s = new Ipset('t', 'hash:ip,port', 0x197d6d60, { maxelem: 1048576 });
    for (const m of ['10.0.0.1,udp:80', '10.0.0.1,tcp:81', '10.0.0.1,sctp:80', '10.0.0.1,tcp:80', '9.0.0.1,90'])
      assert.equal(s.add(parseIpPortMember(m) as IpsetMember), undefined, m);
    return s;
  }

  it('lists and saves a hash:ip,port set as ipset v7.17 does: by address, protocol number, port', () => {
    // `ipset create t hash:ip,port maxelem 1048576`, the five adds, then `ipset -sorted list t` / `save t` on 6.1:
    // a bare port is TCP, udp (17) sorts before sctp (132), 216 + 48 bytes an entry, revision 7
    assert.equal(
      formatIpsetList(ipPort(), 1),
      [
        'Name: t',
        'Type: hash:ip,port',
        'Revision: 7',
        'Header: family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x197d6d60',
        'Size in memory: 456',
        'References: 1',
        'Number of entries: 5',
        'Members:',
        '9.0.0.1,tcp:90',
        '10.0.0.1,tcp:80',
        '10.0.0.1,tcp:81',
        '10.0.0.1,udp:80',
        '10.0.0.1,sctp:80',
      ].join('\n'),
    );
    assert.equal(
      formatIpsetSave(ipPort()).split('\n')[0],
      'create t hash:ip,port family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x197d6d60',
    );
    assert.equal(formatIpsetSave(ipPort()).split('\n')[1], 'add t 9.0.0.1,tcp:90');
  });

  it("refuses a hash:ip,port entry without a port with ipset's words, and a duplicate (http is tcp:80 there too)", () => {
    assert.equal(parseIpPortMember('10.0.0.1'), 'Syntax error: Second element is missing from 10.0.0.1.');
    const s = ipPort();
    assert.equal(s.add(parseIpPortMember('10.0.0.1,tcp:80') as IpsetMember), 'already-added');
    assert.equal(s.del(parseIpPortMember('10.0.0.1,udp:81') as IpsetMember), 'not-added');
    assert.equal(s.del(parseIpPortMember('10.0.0.1,udp:80') as IpsetMember), undefined);
    assert.equal(s.size, 4);
  });

  /** An IPv4 + TCP/UDP header from `src:sport` to `dst:dport`, as netfilter sees it (behind 14 bytes of Ethernet). */
  function packet(proto: number, src: string, sport: number, dst: string, dport: number): Uint8Array {
    const f = new Uint8Array(14 + 20 + 8);
    f[14] = 0x45;
    f[14 + 9] = proto;
    new DataView(f.buffer).setUint32(14 + 12, ip(src));
    new DataView(f.buffer).setUint32(14 + 16, ip(dst));
    new DataView(f.buffer).setUint16(34, sport);
    new DataView(f.buffer).setUint16(36, dport);
    return f;
  }

  it('matches -m set on a hash:ip,port set per flag, as the kernel did for one UDP packet 127.0.0.1 -> 127.0.0.1:80', () => {
    // iptables 1.8.9 OUTPUT counters in a namespace with a set holding 127.0.0.1,udp:80 and a datagram to
    // 127.0.0.1:80 from a random port: dst -> 0 (too few flags), dst,dst -> 1, dst,src -> 0, src,dst -> 1,
    // dst,dst,dst -> 1 (extra flags ignored); a hash:ip set holding 127.0.0.1 with dst,dst -> 1
    const s = new Ipset('ipp', 'hash:ip,port', 0);
    s.add(parseIpPortMember('127.0.0.1,udp:80') as IpsetMember);
    const one = new Ipset('ip1', 'hash:ip', 0);
    one.add(parseMember('127.0.0.1')!);
    const f = packet(17, '127.0.0.1', 40000, '127.0.0.1', 80);
    const lo = ip('127.0.0.1');
    const hit = (set: Ipset, flags: string): boolean =>
      setMatchHit(set, flags.split(',') as ('src' | 'dst')[], lo, lo, f, 14);
    assert.deepEqual(
      ['dst', 'dst,dst', 'dst,src', 'src,dst', 'dst,dst,dst'].map((fl) => hit(s, fl)),
      [false, true, false, true, true],
    );
    assert.equal(hit(one, 'dst,dst'), true);
    assert.equal(
      setMatchHit(s, ['dst', 'dst'], lo, lo, packet(6, '127.0.0.1', 1, '127.0.0.1', 80), 14),
      false,
      'TCP is not udp:80',
    );
    assert.equal(setMatchHit(undefined, ['dst'], lo, lo, f, 14), false, 'a missing set matches nothing');
  });

  it('restore -exist: a member added again takes the last nomatch flag, as the kernel does', () => {
    const reg = new IpsetRegistry(() => 0);
    const lines = (first: string, second: string): string =>
      [
        'create T hash:net timeout 0',
        'add T 10.42.0.0/16 timeout 0',
        `add T 10.42.0.2 timeout 0${first}`,
        `add T 10.42.0.2 timeout 0${second}`,
        'destroy T',
      ].join('\n');
    assert.equal(applyIpsetRestore(reg, lines(' nomatch', '').replace('destroy T', ''), { exist: true }), undefined);
    assert.equal(reg.get('T')!.has(ip('10.42.0.2')), true);
    assert.equal(applyIpsetRestore(reg, `add T 10.42.0.2 timeout 0 nomatch`, { exist: true }), undefined);
    assert.equal(reg.get('T')!.has(ip('10.42.0.2')), false);
    assert.equal(reg.get('T')!.size, 2, 'the flag changes, the entry is not added twice');
    assert.deepEqual(applyIpsetRestore(reg, `add T 10.42.0.2 timeout 0`), {
      line: 1,
      message: "Element cannot be added to the set: it's already added",
    });
  });

  it('restores a hash:ip,port set from its save text, initval and bucketsize included', () => {
    const reg = new IpsetRegistry(() => 0);
    const text = formatIpsetSave(ipPort());
    assert.equal(applyIpsetRestore(reg, text), undefined);
    assert.equal(formatIpsetSave(reg.get('t')!), text);
  });
});

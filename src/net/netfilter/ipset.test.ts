/**
 * ipset's sets and text against the real tool: the expected blocks are what ipset v7.17 printed in a network
 * namespace (kernel 6.1) for the same commands, `ipset create cali40all-ipam-pools hash:net family inet
 * hashsize 1024 maxelem 1048576`, three adds, then `ipset -sorted list` / `ipset -sorted save`. The initval
 * is the one the kernel drew there. The `-m set` match is read from Felix's own rule text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  Ipset,
  IpsetRegistry,
  formatIpsetList,
  formatIpsetSave,
  ipsetCommand,
  ipsetMessage,
  parseMember,
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
      { name: 'cali40masq-ipam-pools', dir: 'src', neg: false },
      { name: 'cali40all-ipam-pools', dir: 'dst', neg: true },
    ]);
    assert.deepEqual(r.target, { kind: 'MASQUERADE', randomFully: true });
    assert.equal(r.text, text);
    assert.equal(
      parseRule(['-m', 'set', '--match-set', 'x', 'both'], '', 'nat'),
      '--match-set x needs src or dst, got "both"',
    );
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
});

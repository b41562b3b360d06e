/**
 * Felix's nat rules and ipsets. The `cali:` comment of each rule is recomputed here with Felix's own
 * algorithm (felix/generictables/rules.go RuleHashes: SHA-224 of the chain name, then for each rule
 * SHA-224(previous hash || "-A <chain> HASH <match> <action>") rendered as felix/iptables renders it,
 * URL-safe base64 cut to 16; appended rules hash under "<chain>*appends*"), which reproduces the hashes
 * in Calico's own fixture felix/fv/cali-iptables-dump.txt (nYKhEzDlr11Jccal, Z-c7XtVd2Bq7s_hA,
 * 0i8pjzKKPyA34aQD). The nat table text is what `iptables-save -t nat` (iptables 1.8.9,
 * nf_tables) printed in a namespace after iptables-restore of these rules with the two ipsets created.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Engine } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { parseIpv4 } from '../../wire/addr.js';
import { IpNode } from '../../net/ip-node.js';
import { saveTable } from '../cni/iptables.js';
import { ALL_POOLS_SET, FELIX_NAT_RULES, MASQ_POOLS_SET, programFelixIptables } from './felix-nat.js';
import type { FelixPool } from './felix-types.js';

/** Felix's RuleHashes for `rendered` rules ("-A CHAIN HASH ...") of `chain`. */
function felixHashes(chain: string, rendered: string[]): string[] {
  let h = createHash('sha224').update(chain).digest();
  return rendered.map((r) => {
    h = createHash('sha224')
      .update(Buffer.concat([h, Buffer.from(r)]))
      .digest();
    return h.toString('base64url').slice(0, 16);
  });
}

const comment = (line: string): string => /--comment "cali:([^"]+)"/.exec(line)?.[1] ?? '';

const POOL: FelixPool = {
  name: 'default-ipv4-ippool',
  cidr: { addr: parseIpv4('192.168.0.0')!, len: 16 },
  ipipMode: 'Always',
  vxlanMode: 'Never',
  natOutgoing: true,
  disabled: false,
};

describe("Felix's nat-outgoing", () => {
  it('carries the rule hashes Felix computes for its rules', () => {
    assert.deepEqual(
      felixHashes('cali-POSTROUTING', [
        '-A cali-POSTROUTING HASH --jump cali-fip-snat',
        '-A cali-POSTROUTING HASH --jump cali-nat-outgoing',
      ]),
      FELIX_NAT_RULES['cali-POSTROUTING'].map(comment),
    );
    assert.deepEqual(
      felixHashes('cali-nat-outgoing', [
        `-A cali-nat-outgoing HASH -m set --match-set ${MASQ_POOLS_SET} src -m set ! --match-set ${ALL_POOLS_SET} dst --jump MASQUERADE --random-fully`,
      ]),
      FELIX_NAT_RULES['cali-nat-outgoing'].map(comment),
    );
    // POSTROUTING's jump is appended (int_dataplane.go AppendRules), so it hashes under "POSTROUTING*appends*"
    assert.deepEqual(
      felixHashes('POSTROUTING*appends*', ['-A POSTROUTING*appends* HASH --jump cali-POSTROUTING']),
      FELIX_NAT_RULES.POSTROUTING.map(comment),
    );
    // the fixture in Calico's repository has these three
    assert.deepEqual([...FELIX_NAT_RULES['cali-POSTROUTING'], ...FELIX_NAT_RULES.POSTROUTING].map(comment), [
      'Z-c7XtVd2Bq7s_hA',
      'nYKhEzDlr11Jccal',
      '0i8pjzKKPyA34aQD',
    ]);
  });

  it('prints the nat table as iptables-save does on a kernel with the same rules, and fills the ipsets', () => {
    const node = new IpNode(new Network(new Engine(1)), 'master');
    programFelixIptables(node, [POOL]);
    programFelixIptables(node, [POOL]); // applying twice changes nothing
    assert.equal(
      saveTable(node, 'nat'),
      [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        ':cali-POSTROUTING - [0:0]',
        ':cali-fip-snat - [0:0]',
        ':cali-nat-outgoing - [0:0]',
        '-A POSTROUTING -m comment --comment "cali:0i8pjzKKPyA34aQD" -j cali-POSTROUTING',
        '-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat',
        '-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing',
        '-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully',
        'COMMIT',
        '',
      ].join('\n'),
    );
    const sets = node.netfilter!.ipsets;
    assert.deepEqual(
      sets.all().map((s) => [s.name, s.type, s.maxelem, s.members().length]),
      [
        ['cali40masq-ipam-pools', 'hash:net', 1048576, 1],
        ['cali40all-ipam-pools', 'hash:net', 1048576, 1],
      ],
    );
  });

  it('has an empty cali-nat-outgoing when no pool has natOutgoing', () => {
    const node = new IpNode(new Network(new Engine(1)), 'master');
    programFelixIptables(node, [{ ...POOL, natOutgoing: false }]);
    assert.doesNotMatch(saveTable(node, 'nat'), /-A cali-nat-outgoing/);
    assert.equal(node.netfilter!.ipsets.get('cali40masq-ipam-pools')!.size, 0);
  });
});

/**
 * Felix's policy rendering, checked against Calico's own sources (v3.31.7):
 * - the static chains and the jumps against Calico's fixture felix/fv/cali-iptables-dump.txt (an
 *   iptables-save of a Felix node in VXLAN mode without workloads): the same rules with the same `cali:`
 *   hashes. The fixture lacks the two VXLAN "allow from/to allowed hosts" rules (the ones matching the
 *   cali40all-vxlan-net set), yet the hashes of the rules after them are those Felix computes with them in
 *   place, so they were cut from the file, not from the chains; podnet renders them;
 * - chain names against felix/hashutils/id_test.go, selector ipset names against the selector unique IDs of
 *   libcalico-go/lib/selector/parser/parser_test.go, the hashes against Node's crypto;
 * - the endpoint and policy chains for a Kubernetes policy as rules/endpoints.go and rules/policy.go build
 *   them (the comments, marks and order are read off those files; the `cali:` hashes are Felix's algorithm,
 *   which the fixture checks).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseCidr, parseIpv4 } from '../../wire/addr.js';
import { lengthLimitedId, namedPortIpsetName, policyChainName, selectorIpsetName } from './felix-policy-names.js';
import { renderFelixPolicy, type FelixPolicyInput } from './felix-policy-render.js';
import {
  calicoWorkloadLabels,
  entitySelector,
  namespacedPolicySelector,
  normaliseSelector,
  type FelixNamedPort,
  type FelixPolicy,
  type FelixPort,
} from './felix-policy-model.js';

const NONE: FelixPolicyInput = {
  local: [],
  all: [],
  policies: [],
  hosts: [],
  ipip: false,
  vxlan: false,
  vxlanPort: 4789,
};

const hashOf = (line: string): string => /--comment "cali:([^"]+)"/.exec(line)?.[1] ?? '';

describe("Felix's hashes and names", () => {
  it('GetLengthLimitedID as felix/hashutils/id_test.go has it', () => {
    assert.equal(lengthLimitedId('felix', '1234', 10), 'felix1234');
    assert.equal(lengthLimitedId('felix', '123456', 11), 'felix123456');
    assert.equal(lengthLimitedId('felix', '_2345', 10), 'felix_kMQI');
    assert.equal(lengthLimitedId('felix', '12345678910', 13), 'felix_Y2QCZIS');
    // a Kubernetes policy's chain: tier/namespace/knp.default.name is too long, so hashed to 28 characters
    const name = policyChainName('cali-pi-', 'default', 'x/knp.default.default-deny');
    assert.equal(name.length, 28);
    assert.equal(
      name,
      'cali-pi-_' + createHash('sha256').update('default/x/knp.default.default-deny').digest('base64url').slice(0, 19),
    );
  });

  it("selector ipsets are cali40 + the selector's unique ID (libcalico-go parser_test.go), cut to 31", () => {
    assert.equal(normaliseSelector(''), 'all()');
    assert.equal(selectorIpsetName('all()'), 'cali40s:5y5I3VdRZfDU01O--xXAPx2');
    assert.equal(normaliseSelector('! (has( b)||! has(a ))'), '!(has(b) || !has(a))');
    assert.equal(selectorIpsetName('!(has(b) || !has(a))'), 'cali40s:Iss0uCleLYv1GSv_pNm7hAO');
    assert.equal(selectorIpsetName('!(a == "b" && !c != "d")'), 'cali40s:lh3haoY1ikTRkd4UZu0nWSa');
  });

  it('rule selectors combine as rules.go getEndpointSelector does', () => {
    // a namespaceSelector's labels take pcns., all() means any namespace
    assert.equal(
      entitySelector("projectcalico.org/orchestrator == 'k8s'", 'all()', '', 'x'),
      "(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == 'k8s')",
    );
    assert.equal(entitySelector("app == 'a'", "ns == 'y'", '', 'x'), `(pcns.ns == "y") && (app == 'a')`);
    // a namespaced policy's pod selector stays in its namespace; no selector at all stays empty
    assert.equal(entitySelector("app == 'a'", '', '', 'x'), "(projectcalico.org/namespace == 'x') && (app == 'a')");
    assert.equal(entitySelector('', '', '', 'x'), '');
    assert.equal(namespacedPolicySelector('', 'x'), "projectcalico.org/namespace == 'x'");
  });
});

describe("Felix's static chains", () => {
  const t = renderFelixPolicy({ ...NONE, vxlan: true });
  const fixture = (lines: readonly string[] | undefined): string[] =>
    (lines ?? []).filter((l) => !l.includes('--match-set cali40all-vxlan-net'));
  it("match Calico's iptables-save fixture, hashes included", () => {
    assert.deepEqual(t.chains.get('cali-FORWARD'), [
      '-A cali-FORWARD -m comment --comment "cali:W_vvds1Nw3n9QE2f" -j MARK --set-xmark 0x0/0x1a0000',
      '-A cali-FORWARD -m comment --comment "cali:ZfgmjuiLaA8Pg0kp" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward',
      '-A cali-FORWARD -i cali+ -m comment --comment "cali:tAzwBLPaV-j53OOZ" -j cali-from-wl-dispatch',
      '-A cali-FORWARD -o cali+ -m comment --comment "cali:4Z0Pf0byo05NFe-P" -j cali-to-wl-dispatch',
      '-A cali-FORWARD -m comment --comment "cali:hQ7Oc16wmUtLuneJ" -j cali-to-hep-forward',
      '-A cali-FORWARD -m comment --comment "cali:rnKNH2WxGcRQcIlD" -j cali-cidr-block',
    ]);
    assert.deepEqual(fixture(t.chains.get('cali-INPUT')), [
      '-A cali-INPUT -p udp -m comment --comment "cali:EDCNTTxYfggApx8C" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports 4789 -m addrtype --dst-type LOCAL -j DROP',
      '-A cali-INPUT -i cali+ -m comment --comment "cali:H03xYXARh4e8pwd4" -g cali-wl-to-host',
      '-A cali-INPUT -m comment --comment "cali:MN6K3isIWBigb1Va" -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-INPUT -m comment --comment "cali:aKDQAoV0P_FFAIwV" -j MARK --set-xmark 0x0/0x1b0000',
      '-A cali-INPUT -m comment --comment "cali:vIx3xkWzuvLW9fr4" -j cali-from-host-endpoint',
      '-A cali-INPUT -m comment --comment "cali:5W9XghKma9wuz47x" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
    ]);
    assert.deepEqual(fixture(t.chains.get('cali-OUTPUT')), [
      '-A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A cali-OUTPUT -o cali+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN',
      '-A cali-OUTPUT -m comment --comment "cali:6T0hFtymUtXMOfEV" -j MARK --set-xmark 0x0/0x1b0000',
      '-A cali-OUTPUT -m comment --comment "cali:IpTGXsDHURPUaLjJ" -m conntrack ! --ctstate DNAT -j cali-to-host-endpoint',
      '-A cali-OUTPUT -m comment --comment "cali:wgnULo2gucg1umsA" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
    ]);
    assert.deepEqual(t.chains.get('cali-wl-to-host'), [
      '-A cali-wl-to-host -m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch',
      '-A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT',
    ]);
    assert.deepEqual(t.chains.get('cali-from-wl-dispatch'), [
      '-A cali-from-wl-dispatch -m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP',
    ]);
    assert.deepEqual(t.chains.get('cali-to-wl-dispatch'), [
      '-A cali-to-wl-dispatch -m comment --comment "cali:7KNphB1nNHw80nIO" -m comment --comment "Unknown interface" -j DROP',
    ]);
    assert.deepEqual(t.inserts, {
      INPUT: ['-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT'],
      FORWARD: ['-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD'],
      OUTPUT: ['-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT'],
    });
    assert.deepEqual(t.appends.FORWARD, [
      '-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
      '-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000',
    ]);
  });

  it('with IP-in-IP, cali-INPUT accepts IPIP only from Calico hosts (the all-hosts-net set)', () => {
    const ipip = renderFelixPolicy({ ...NONE, ipip: true, hosts: [parseIpv4('172.171.5.95')!] });
    assert.deepEqual(
      ipip.chains
        .get('cali-INPUT')!
        .slice(0, 2)
        .map((l) => l.replace(/"cali:\S+"/, 'H')),
      [
        '-A cali-INPUT -p ipencap -m comment --comment H -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT',
        '-A cali-INPUT -p ipencap -m comment --comment H -m comment --comment "Drop IPIP packets from non-Calico hosts" -j DROP',
      ],
    );
    assert.deepEqual(ipip.ipsets.get('cali40all-hosts-net'), { type: 'hash:net', members: ['172.171.5.95/32'] });
  });

  it("one programming pass's nodes share the all-hosts members (the same hosts array); other hosts get their own", () => {
    const hosts = [parseIpv4('172.171.5.95')!, parseIpv4('172.171.5.96')!];
    const members = (h: typeof hosts) =>
      renderFelixPolicy({ ...NONE, ipip: true, vxlan: true, hosts: h }).ipsets.get('cali40all-hosts-net')!.members;
    const first = members(hosts);
    assert.deepEqual(first, ['172.171.5.95/32', '172.171.5.96/32']);
    assert.equal(members(hosts), first);
    // a later pass has a new array: a node added since is in its list
    const later = [...hosts, parseIpv4('172.171.5.97')!];
    assert.deepEqual(members(later), ['172.171.5.95/32', '172.171.5.96/32', '172.171.5.97/32']);
    const both = renderFelixPolicy({ ...NONE, ipip: true, vxlan: true, hosts }).ipsets;
    assert.equal(both.get('cali40all-vxlan-net')!.members, both.get('cali40all-hosts-net')!.members);
  });
});

describe("Felix's chains for a workload and a Kubernetes policy", () => {
  const labels = (ns: string, pod: string) =>
    calicoWorkloadLabels({ pod }, ns, { ns, 'kubernetes.io/metadata.name': ns }, 'default');
  const a = {
    iface: 'cali1111111111a',
    ip: parseIpv4('10.42.0.2')!,
    namespace: 'x',
    pod: 'a',
    labels: labels('x', 'a'),
    profiles: ['kns.x', 'ksa.x.default'],
    ports: [{ name: 'serve-80-tcp', protocol: 'tcp', port: 80 }] as FelixNamedPort[],
  };
  const b = {
    iface: 'cali2222222222b',
    ip: parseIpv4('10.42.1.2')!,
    namespace: 'y',
    pod: 'b',
    labels: labels('y', 'b'),
    profiles: ['kns.y', 'ksa.y.default'],
    ports: [
      { name: 'serve-80-tcp', protocol: 'tcp', port: 8080 },
      { name: 'serve-81-udp', protocol: 'udp', port: 81 },
    ] as FelixNamedPort[],
  };
  // knp.default.allow-y: x/a accepts TCP 80 from namespace y, and from 10.42.0.0/16 except 10.42.1.0/24
  const fromY = entitySelector("projectcalico.org/orchestrator == 'k8s'", "ns == 'y'", '', 'x');
  const policy: FelixPolicy = {
    tier: 'default',
    name: 'x/knp.default.allow-y',
    namespace: 'x',
    order: 1000,
    selector: namespacedPolicySelector("projectcalico.org/orchestrator == 'k8s' && pod == 'a'", 'x'),
    ingress: true,
    egress: false,
    inbound: [
      {
        action: 'allow',
        protocol: 'tcp',
        src: { nets: [], notNets: [], selector: fromY, notSelector: '', ports: [], notPorts: [] },
        dst: { nets: [], notNets: [], selector: '', notSelector: '', ports: [{ first: 80, last: 80 }], notPorts: [] },
      },
      {
        action: 'allow',
        src: {
          nets: [parseCidr('10.42.0.0/16')!],
          notNets: [parseCidr('10.42.1.0/24')!],
          selector: '',
          notSelector: '',
          ports: [],
          notPorts: [],
        },
        dst: { nets: [], notNets: [], selector: '', notSelector: '', ports: [], notPorts: [] },
      },
    ],
    outbound: [],
    source: 'NetworkPolicy x/allow-y',
  };
  const t = renderFelixPolicy({ ...NONE, local: [a], all: [a, b], policies: [policy] });
  const strip = (lines: readonly string[] | undefined): string[] =>
    (lines ?? []).map((l) => l.replace(/ -m comment --comment "cali:[^"]+"/, ''));
  const pi = policyChainName('cali-pi-', 'default', 'x/knp.default.allow-y');
  const set = selectorIpsetName(normaliseSelector(fromY));

  it('cali-tw- (endpoints.go): conntrack, mark clearing, the tier, the policy, its end, the profiles', () => {
    assert.deepEqual(strip(t.chains.get('cali-tw-cali1111111111a')), [
      '-A cali-tw-cali1111111111a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A cali-tw-cali1111111111a -m conntrack --ctstate INVALID -j DROP',
      '-A cali-tw-cali1111111111a -j MARK --set-xmark 0x0/0x30000',
      '-A cali-tw-cali1111111111a -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
      `-A cali-tw-cali1111111111a -m mark --mark 0x0/0x20000 -j ${pi}`,
      '-A cali-tw-cali1111111111a -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-cali1111111111a -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
      '-A cali-tw-cali1111111111a -j cali-pri-kns.x',
      '-A cali-tw-cali1111111111a -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-cali1111111111a -j cali-pri-ksa.x.default',
      '-A cali-tw-cali1111111111a -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
      '-A cali-tw-cali1111111111a -m comment --comment "Drop if no profiles matched" -j DROP',
    ]);
    // egress: no policy for the tier, the encapsulation drops, then the profiles
    assert.deepEqual(strip(t.chains.get('cali-fw-cali1111111111a')).slice(3, 6), [
      '-A cali-fw-cali1111111111a -p udp -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP',
      '-A cali-fw-cali1111111111a -p ipencap -m comment --comment "Drop IPinIP encapped packets originating in workloads" -j DROP',
      '-A cali-fw-cali1111111111a -j cali-pro-kns.x',
    ]);
  });

  it('cali-pi- (policy.go): mark and return per rule, the last RETURN dropped, excepts in a match block', () => {
    assert.deepEqual(strip(t.chains.get(pi)), [
      `-A ${pi} -p tcp -m comment --comment "Policy x/knp.default.allow-y ingress" -m set --match-set ${set} src -m multiport --dports 80 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${pi} -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A ${pi} -j MARK --set-xmark 0x80000/0x180000`,
      `-A ${pi} -s 10.42.1.0/24 -j MARK --set-xmark 0x0/0x80000`,
      `-A ${pi} -s 10.42.0.0/16 -m mark --mark 0x80000/0x80000 -j MARK --set-xmark 0x10000/0x10000`,
    ]);
    assert.deepEqual(strip(t.chains.get('cali-pri-kns.x')), [
      '-A cali-pri-kns.x -m comment --comment "Profile kns.x ingress" -j MARK --set-xmark 0x10000/0x10000',
    ]);
    assert.deepEqual(strip(t.chains.get('cali-pri-ksa.x.default')), [
      '-A cali-pri-ksa.x.default -m comment --comment "Profile ksa.x.default ingress"',
    ]);
  });

  it("the selector's ipset holds the matching pods of every node; dispatch goes to the local pod", () => {
    assert.deepEqual(t.ipsets.get(set), { type: 'hash:ip', members: ['10.42.1.2'] });
    assert.deepEqual(strip(t.chains.get('cali-to-wl-dispatch')), [
      '-A cali-to-wl-dispatch -o cali1111111111a -g cali-tw-cali1111111111a',
      '-A cali-to-wl-dispatch -m comment --comment "Unknown interface" -j DROP',
    ]);
    for (const lines of t.chains.values()) for (const l of lines) assert.equal(hashOf(l).length, 16, l);
  });

  it('dispatch splits interfaces that share a prefix into child chains (dispatch.go)', () => {
    const w = (iface: string) => ({ ...a, iface });
    const d = renderFelixPolicy({ ...NONE, local: [w('cali1a'), w('cali1b'), w('cali2c')], all: [] });
    assert.deepEqual(strip(d.chains.get('cali-from-wl-dispatch')), [
      '-A cali-from-wl-dispatch -i cali1+ -g cali-from-wl-dispatch-1',
      '-A cali-from-wl-dispatch -i cali2c -g cali-fw-cali2c',
      '-A cali-from-wl-dispatch -m comment --comment "Unknown interface" -j DROP',
    ]);
    assert.deepEqual(strip(d.chains.get('cali-from-wl-dispatch-1')), [
      '-A cali-from-wl-dispatch-1 -i cali1a -g cali-fw-cali1a',
      '-A cali-from-wl-dispatch-1 -i cali1b -g cali-fw-cali1b',
      '-A cali-from-wl-dispatch-1 -m comment --comment "Unknown interface" -j DROP',
    ]);
  });

  // the named-port set of `serve-80-tcp` on all() (an ingress rule's destination has no selector), worked by
  // hand from rule_scanner.go IPSetData.UniqueID with coreutils' sha224sum and base64 (URL alphabet, no padding):
  //   selector ID  s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug = "s:" + b64(SHA-224("s:all()")), the vector of
  //                libcalico-go/lib/selector/parser/parser_test.go for all()
  //   set ID       n:y8TuuFmUHD05e7OHT3RUKn2hUjdTW3uauyD9Sg = "n:" + b64(SHA-224("n:" + selector ID + ",tcp,serve-80-tcp"))
  //   name         cali40n:y8TuuFmUHD05e7OHT3RUKn2 ("cali40" + the ID, cut to 31)
  const SERVE_80_ALL = 'cali40n:y8TuuFmUHD05e7OHT3RUKn2';
  const withDstPorts = (ports: FelixPort[]): FelixPolicy => ({
    ...policy,
    inbound: [{ ...policy.inbound[0]!, dst: { ...policy.inbound[0]!.dst, ports } }],
  });

  it("a named port is a hash:ip,port set of every pod's port of that name, matched dst,dst (rule_scanner.go)", () => {
    assert.equal(namedPortIpsetName('all()', 'tcp', 'serve-80-tcp'), SERVE_80_ALL);
    const r = renderFelixPolicy({
      ...NONE,
      local: [a],
      all: [a, b],
      policies: [withDstPorts([{ name: 'serve-80-tcp' }])],
    });
    assert.deepEqual(strip(r.chains.get(pi)), [
      `-A ${pi} -p tcp -m comment --comment "Policy x/knp.default.allow-y ingress" -m set --match-set ${set} src -m set --match-set ${SERVE_80_ALL} dst,dst -j MARK --set-xmark 0x10000/0x10000`,
    ]);
    // each pod's own number for the name: 80 on x/a, 8080 on y/b
    assert.deepEqual(r.ipsets.get(SERVE_80_ALL), {
      type: 'hash:ip,port',
      members: ['10.42.0.2,tcp:80', '10.42.1.2,tcp:8080'],
    });
  });

  it('a named port with a numbered one goes into a port match block (policy.go AppendPortMatchBlock)', () => {
    const r = renderFelixPolicy({
      ...NONE,
      local: [a],
      all: [a, b],
      policies: [withDstPorts([{ name: 'serve-80-tcp' }, { first: 81, last: 81 }])],
    });
    assert.deepEqual(strip(r.chains.get(pi)), [
      `-A ${pi} -m comment --comment "Policy x/knp.default.allow-y ingress" -j MARK --set-xmark 0x0/0x180000`,
      `-A ${pi} -p tcp -m multiport --dports 81 -j MARK --set-xmark 0x80000/0x80000`,
      `-A ${pi} -m set --match-set ${SERVE_80_ALL} dst,dst -j MARK --set-xmark 0x80000/0x80000`,
      `-A ${pi} -p tcp -m set --match-set ${set} src -m mark --mark 0x80000/0x80000 -j MARK --set-xmark 0x10000/0x10000`,
    ]);
  });

  it('more than 15 multiport slots split into groups of 15 in a port block (policy.go SplitPortList)', () => {
    const ports = Array.from({ length: 14 }, (_, i) => ({ first: 1000 + i, last: 1000 + i }));
    const r = renderFelixPolicy({
      ...NONE,
      local: [a],
      all: [a, b],
      policies: [withDstPorts([...ports, { first: 2000, last: 2001 }])],
    });
    // 14 single ports take 14 slots; the range needs two, so it starts the second group
    assert.deepEqual(strip(r.chains.get(pi)), [
      `-A ${pi} -m comment --comment "Policy x/knp.default.allow-y ingress" -j MARK --set-xmark 0x0/0x180000`,
      `-A ${pi} -p tcp -m multiport --dports ${ports.map((p) => p.first).join(',')} -j MARK --set-xmark 0x80000/0x80000`,
      `-A ${pi} -p tcp -m multiport --dports 2000:2001 -j MARK --set-xmark 0x80000/0x80000`,
      `-A ${pi} -p tcp -m set --match-set ${set} src -m mark --mark 0x80000/0x80000 -j MARK --set-xmark 0x10000/0x10000`,
    ]);
  });

  it("an egress named port is filtered by the peer's selector, whose own set is then left out; UDP is udp", () => {
    const toY = entitySelector("projectcalico.org/orchestrator == 'k8s'", "ns == 'y'", '', 'x');
    const egress: FelixPolicy = {
      ...policy,
      ingress: false,
      egress: true,
      inbound: [],
      outbound: [
        {
          action: 'allow',
          protocol: 'udp',
          src: { nets: [], notNets: [], selector: '', notSelector: '', ports: [], notPorts: [] },
          dst: {
            nets: [],
            notNets: [],
            selector: toY,
            notSelector: '',
            ports: [{ name: 'serve-81-udp' }],
            notPorts: [],
          },
        },
      ],
    };
    const r = renderFelixPolicy({ ...NONE, local: [a], all: [a, b], policies: [egress] });
    const np = namedPortIpsetName(normaliseSelector(toY), 'udp', 'serve-81-udp');
    const po = policyChainName('cali-po-', 'default', 'x/knp.default.allow-y');
    assert.deepEqual(strip(r.chains.get(po)), [
      `-A ${po} -p udp -m comment --comment "Policy x/knp.default.allow-y egress" -m set --match-set ${np} dst,dst -j MARK --set-xmark 0x10000/0x10000`,
    ]);
    assert.deepEqual(r.ipsets.get(np), { type: 'hash:ip,port', members: ['10.42.1.2,udp:81'] });
    assert.equal(r.ipsets.has(selectorIpsetName(normaliseSelector(toY))), false);
  });
});

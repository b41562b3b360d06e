/**
 * Pod resolv.conf and /etc/hosts against the kubelet's rules (pkg/kubelet/network/dns/dns.go GetPodDNS,
 * kubelet_pods.go managedHostsFileContent) and containerd's layout (parseDNSOptions: search, nameserver,
 * options). The expected texts are written out from those functions, not from podnet's output.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv4 } from '../wire/addr.js';
import type { PodSpec } from './k8s-objects.js';
import { nodeHostsFile, podHostsFile, podResolvConfText } from './pod-dns.js';

const ip = (s: string): number => parseIpv4(s)!;
const NODE_RC = 'search lab.example\nnameserver 192.168.56.1\noptions timeout:2\n';
const CTX = { clusterDNS: ip('10.43.0.10'), clusterDomain: 'cluster.local', nodeResolvConf: NODE_RC };

function spec(over: Partial<PodSpec> = {}): PodSpec {
  return {
    nodeSelector: {},
    hostNetwork: false,
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    hostAliases: [],
    containers: [],
    ...over,
  };
}

describe('pod resolv.conf by dnsPolicy', () => {
  it('ClusterFirst: the namespace search path then the node search, the cluster DNS, ndots:5', () => {
    assert.equal(
      podResolvConfText(spec(), 'shop', CTX),
      'search shop.svc.cluster.local svc.cluster.local cluster.local lab.example\nnameserver 10.43.0.10\noptions ndots:5\n',
    );
  });
  it('ClusterFirst with hostNetwork falls back to Default; ClusterFirstWithHostNet keeps the cluster DNS', () => {
    const def = 'search lab.example\nnameserver 192.168.56.1\noptions timeout:2\n';
    assert.equal(podResolvConfText(spec({ hostNetwork: true }), 'default', CTX), def);
    assert.equal(podResolvConfText(spec({ dnsPolicy: 'Default' }), 'default', CTX), def);
    assert.match(
      podResolvConfText(spec({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), 'default', CTX),
      /^search default\.svc\.cluster\.local .*\nnameserver 10\.43\.0\.10\noptions ndots:5\n$/,
    );
  });
  it('None: only dnsConfig, each nameserver on its own line', () => {
    const s = spec({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: [ip('1.2.3.4'), ip('5.6.7.8')],
        searches: ['ns1.svc.cluster-domain.example', 'my.dns.search.suffix'],
        options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
      },
    });
    // the kubernetes.io "Pod's DNS Config" example's resulting file, in containerd's order
    assert.equal(
      podResolvConfText(s, 'default', CTX),
      'search ns1.svc.cluster-domain.example my.dns.search.suffix\nnameserver 1.2.3.4\nnameserver 5.6.7.8\noptions ndots:2 edns0\n',
    );
  });
  it('dnsConfig merges into ClusterFirst: servers and searches appended once, options replaced by name', () => {
    const s = spec({
      dnsConfig: {
        nameservers: [ip('10.43.0.10'), ip('9.9.9.9')],
        searches: ['cluster.local', 'corp.example'],
        options: [{ name: 'ndots', value: '1' }, { name: 'single-request-reopen' }],
      },
    });
    assert.equal(
      podResolvConfText(s, 'default', CTX),
      'search default.svc.cluster.local svc.cluster.local cluster.local lab.example corp.example\n' +
        'nameserver 10.43.0.10\nnameserver 9.9.9.9\noptions ndots:1 single-request-reopen\n',
    );
  });
  it('at most 3 nameservers reach the file', () => {
    const s = spec({
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'].map(ip), searches: [], options: [] },
    });
    assert.equal(podResolvConfText(s, 'default', CTX), 'nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n');
  });
});

describe('pod /etc/hosts', () => {
  const HEAD =
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
  const pod = { name: 'client', namespace: 'default', ip: ip('10.42.0.4') };
  it("the kubelet's managed file: localhost lines, the pod's IP and name", () => {
    assert.equal(podHostsFile(spec(), pod, 'cluster.local', ''), `${HEAD}10.42.0.4\tclient\n`);
  });
  it('hostname and subdomain give the FQDN first; hostAliases follow their header after a blank line', () => {
    const s = spec({
      hostname: 'db-0',
      subdomain: 'db',
      hostAliases: [
        { ip: ip('127.0.0.1'), hostnames: ['foo.local', 'bar.local'] },
        { ip: ip('10.1.2.3'), hostnames: ['foo.remote'] },
      ],
    });
    assert.equal(
      podHostsFile(s, pod, 'cluster.local', ''),
      `${HEAD}10.42.0.4\tdb-0.db.default.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n` +
        '127.0.0.1\tfoo.local\n127.0.0.1\tbar.local\n10.1.2.3\tfoo.remote\n',
    );
  });
  it("a hostNetwork pod gets the node's file under the host-network header", () => {
    const node = nodeHostsFile([{ name: 'server', ip: ip('192.168.56.11') }]);
    assert.equal(
      podHostsFile(spec({ hostNetwork: true }), pod, 'cluster.local', node),
      `# Kubernetes-managed hosts file (host network).\n${node}`,
    );
  });
});

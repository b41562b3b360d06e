/**
 * A pod's /etc/resolv.conf and /etc/hosts, as the kubelet decides them and containerd writes them.
 * The kubelet (pkg/kubelet/network/dns/dns.go GetPodDNS) picks nameservers, searches and options from the
 * pod's dnsPolicy and dnsConfig and hands them to the runtime; containerd (pkg/cri parseDNSOptions) writes
 * them as `search`, then `nameserver` lines, then `options`. /etc/hosts is the kubelet's own file
 * (pkg/kubelet/kubelet_pods.go managedHostsFileContent). Resolving with these files is the caller's job.
 */
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import type { HostAlias, PodDnsConfig, PodSpec } from './k8s-objects.js';

/** What the kubelet passes to the runtime (runtimeapi.DNSConfig). */
export interface DnsSettings {
  servers: string[];
  searches: string[];
  options: string[];
}

/** The kubelet's dns.go limits: 3 nameservers (MaxDNSNameservers), 32 search paths (MaxDNSSearchPaths). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

/** The cluster settings a pod's DNS depends on. */
export interface ClusterDnsContext {
  clusterDNS: Ipv4;
  clusterDomain: string;
  /** The node's /etc/resolv.conf (the kubelet's --resolv-conf). */
  nodeResolvConf: string;
}

/** Reads a resolv.conf as the kubelet's parseResolvConf does: every nameserver, the last search line, all options. */
export function parseHostDns(text: string): DnsSettings {
  const out: DnsSettings = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...fields] = line.split(/\s+/);
    if (key === 'nameserver' && fields[0] !== undefined) out.servers.push(fields[0]);
    else if (key === 'search') out.searches = fields.map((f) => (f.endsWith('.') ? f.slice(0, -1) : f));
    else if (key === 'options') out.options = mergeOptions(out.options, fields.map(splitOption));
  }
  return out;
}

/**
 * The DNS settings of a pod (dns.go GetPodDNS): ClusterFirst (and ClusterFirstWithHostNet) get the cluster
 * DNS, the namespace's search path followed by the node's, and ndots:5; a hostNetwork pod with ClusterFirst
 * falls back to Default, the node's settings; None starts empty. dnsConfig is then appended to any of them.
 */
export function podDnsSettings(spec: PodSpec, namespace: string, ctx: ClusterDnsContext): DnsSettings {
  const host = parseHostDns(ctx.nodeResolvConf);
  const cluster =
    spec.dnsPolicy === 'ClusterFirstWithHostNet' || (spec.dnsPolicy === 'ClusterFirst' && !spec.hostNetwork);
  let s: DnsSettings;
  if (spec.dnsPolicy === 'None') s = { servers: [], searches: [], options: [] };
  else if (cluster) {
    const d = ctx.clusterDomain;
    s = {
      servers: [formatIpv4(ctx.clusterDNS)],
      searches: unique([`${namespace}.svc.${d}`, `svc.${d}`, d, ...host.searches]),
      options: ['ndots:5'],
    };
  } else s = host;
  if (spec.dnsConfig !== undefined) s = appendDnsConfig(s, spec.dnsConfig);
  return { ...s, servers: s.servers.slice(0, MAX_NAMESERVERS), searches: s.searches.slice(0, MAX_SEARCHES) };
}

/** dns.go appendDNSConfig: nameservers and searches appended without duplicates, options merged by name. */
function appendDnsConfig(s: DnsSettings, c: PodDnsConfig): DnsSettings {
  return {
    servers: unique([...s.servers, ...c.nameservers.map(formatIpv4)]),
    searches: unique([...s.searches, ...c.searches]),
    options: mergeOptions(s.options, c.options),
  };
}

/**
 * dns.go mergeDNSOptions: a pod's option replaces the same-named one. The kubelet rebuilds the list from a
 * Go map, so its order varies between runs; podnet keeps first-seen order to stay deterministic.
 */
function mergeOptions(existing: readonly string[], add: readonly { name: string; value?: string }[]): string[] {
  const byName = new Map<string, string | undefined>();
  for (const o of existing) {
    const { name, value } = splitOption(o);
    byName.set(name, value);
  }
  for (const o of add) byName.set(o.name, o.value);
  return [...byName].map(([n, v]) => (v === undefined || v === '' ? n : `${n}:${v}`));
}

function splitOption(o: string): { name: string; value?: string } {
  const i = o.indexOf(':');
  return i < 0 ? { name: o } : { name: o.slice(0, i), value: o.slice(i + 1) };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/**
 * The resolv.conf text containerd writes from the kubelet's settings (parseDNSOptions): search, nameserver,
 * options lines, each only when non-empty. With nothing to write, containerd copies the host's file.
 */
export function formatResolvConf(s: DnsSettings, hostResolvConf: string): string {
  let out = '';
  if (s.searches.length > 0) out += `search ${s.searches.join(' ')}\n`;
  if (s.servers.length > 0) out += `nameserver ${s.servers.join('\nnameserver ')}\n`;
  if (s.options.length > 0) out += `options ${s.options.join(' ')}\n`;
  return out === '' ? hostResolvConf : out;
}

/** The pod's /etc/resolv.conf. */
export function podResolvConfText(spec: PodSpec, namespace: string, ctx: ClusterDnsContext): string {
  return formatResolvConf(podDnsSettings(spec, namespace, ctx), ctx.nodeResolvConf);
}

/** kubelet_pods.go hostsEntriesFromHostAliases: a blank line, a header, then "IP\tNAME" per name. */
function hostAliasLines(aliases: readonly HostAlias[]): string {
  if (aliases.length === 0) return '';
  let out = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) for (const h of a.hostnames) out += `${formatIpv4(a.ip)}\t${h}\n`;
  return out;
}

/**
 * A pod's /etc/hosts (kubelet_pods.go ensureHostsFile). For a pod with its own network namespace the
 * kubelet's managed file: header, localhost lines, the pod IP with its hostname (FQDN first when the pod
 * has a subdomain: `<hostname>.<subdomain>.<ns>.svc.<domain>`), then the hostAliases. A hostNetwork pod
 * gets the node's file under a "(host network)" header, then its hostAliases.
 */
export function podHostsFile(
  spec: PodSpec,
  pod: { name: string; namespace: string; ip: Ipv4 },
  clusterDomain: string,
  nodeHosts: string,
): string {
  if (spec.hostNetwork)
    return `# Kubernetes-managed hosts file (host network).\n${nodeHosts}${hostAliasLines(spec.hostAliases)}`;
  // kubelet GeneratePodHostNameAndDomain: spec.hostname or the pod's name (cut to 63 characters)
  const hostname = spec.hostname ?? pod.name.slice(0, 63);
  const ip = formatIpv4(pod.ip);
  const own =
    spec.subdomain !== undefined
      ? `${ip}\t${hostname}.${spec.subdomain}.${pod.namespace}.svc.${clusterDomain}\t${hostname}\n`
      : `${ip}\t${hostname}\n`;
  return (
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n' +
    own +
    hostAliasLines(spec.hostAliases)
  );
}

/**
 * A node's /etc/hosts: localhost, then every machine of the cluster on its address (as provisioning tools
 * such as Vagrant write it; the upstream DNS does not know node names), then Debian's IPv6 lines.
 */
export function nodeHostsFile(machines: readonly { name: string; ip: Ipv4 }[]): string {
  const own = machines.map((m) => `${formatIpv4(m.ip)}\t${m.name}\n`).join('');
  return `127.0.0.1\tlocalhost\n${own}\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;
}

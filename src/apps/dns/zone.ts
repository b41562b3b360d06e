/**
 * Authoritative zones and the `zone` plugin (CoreDNS's `file`): answers from a zone's records with AA set,
 * following CNAMEs inside the zone (RFC 1034 4.3.2), NXDOMAIN or NODATA with the SOA in the authority
 * section (RFC 2308 2.1, 2.2, 3), and the addresses of SRV and NS targets in the additional section.
 * Names outside every zone go to the next plugin. Wildcards (RFC 4592) and delegations below the apex
 * are not served. Building zones from Kubernetes objects belongs to the cluster layer.
 */
import {
  type DnsRecord,
  DNS_RCODE_NXDOMAIN,
  DNS_RCODE_NOERROR,
  DNS_TYPE_A,
  DNS_TYPE_AAAA,
  DNS_TYPE_ANY,
  DNS_TYPE_CNAME,
  isSubdomain,
  nameKey,
  rdataTypeCode,
  DNS_CLASS_IN,
} from '../../wire/dns.js';
import { type DnsAnswerParts, type DnsPlugin, replyTo } from './plugin.js';

/** A zone as data: its apex and records (one SOA at the apex is required). */
export interface ZoneConfig {
  readonly origin: string;
  readonly records: readonly DnsRecord[];
}

/** RFC 1034 4.3.2 leaves chain length open; BIND stops after 16 CNAMEs, CoreDNS's file plugin after 8. */
export const MAX_CNAME_CHAIN = 8;

/** What a zone says about a name and type. */
export interface ZoneAnswer extends DnsAnswerParts {
  readonly rcode: number;
  readonly answers: DnsRecord[];
  readonly authorities: DnsRecord[];
  readonly additionals: DnsRecord[];
}

/** An indexed authoritative zone. */
export class Zone {
  readonly origin: string;
  readonly soa: DnsRecord;
  private readonly byName = new Map<string, DnsRecord[]>();
  /** Every owner name and every name between an owner and the apex (empty non-terminals, RFC 8020). */
  private readonly existing = new Set<string>();

  /** Indexes `cfg`. Throws on a zone that is not one (no SOA at the apex, a record outside it, CNAME beside other data). */
  constructor(cfg: ZoneConfig) {
    this.origin = nameKey(cfg.origin);
    let soa: DnsRecord | undefined;
    for (const r of cfg.records) {
      const key = nameKey(r.name);
      if (!isSubdomain(key, this.origin)) throw new Error(`zone ${this.origin}: ${r.name} is outside the zone`);
      if (r.data.type === 'SOA') {
        if (key !== this.origin) throw new Error(`zone ${this.origin}: SOA at ${r.name}, not at the apex`);
        if (soa !== undefined) throw new Error(`zone ${this.origin}: more than one SOA`);
        soa = r;
      }
      const list = this.byName.get(key) ?? [];
      list.push(r);
      this.byName.set(key, list);
      for (let n = key; n !== this.origin && n !== '.'; n = parentName(n)) this.existing.add(n);
    }
    if (soa === undefined) throw new Error(`zone ${this.origin}: no SOA at the apex`);
    this.soa = soa;
    this.existing.add(this.origin);
    for (const [name, list] of this.byName) {
      // RFC 1034 3.6.2: a name with a CNAME has no other data
      if (list.some((r) => r.data.type === 'CNAME') && list.length > 1)
        throw new Error(`zone ${this.origin}: ${name} has a CNAME and other records`);
    }
  }

  /** True when `name` is in this zone. */
  contains(name: string): boolean {
    return isSubdomain(name, this.origin);
  }

  /** Answers `qtype` at `qname` (class IN) as RFC 1034 4.3.2 steps 3a-3c describe, without referrals or wildcards. */
  lookup(qname: string, qtype: number): ZoneAnswer {
    const answers: DnsRecord[] = [];
    const seen = new Set<string>();
    let name = nameKey(qname);
    for (let hops = 0; hops <= MAX_CNAME_CHAIN; hops++) {
      if (!isSubdomain(name, this.origin)) break; // the chain left the zone: the resolver goes on from here
      if (seen.has(name)) break; // a CNAME loop: answer with the chain so far
      seen.add(name);
      const rrs = this.byName.get(name);
      if (rrs === undefined) {
        // RFC 6604 3: the RCODE describes the last name of the chain
        const exists = this.existing.has(name);
        return {
          rcode: exists ? DNS_RCODE_NOERROR : DNS_RCODE_NXDOMAIN,
          answers,
          authorities: [this.negativeSoa()],
          additionals: [],
        };
      }
      const match = qtype === DNS_TYPE_ANY ? rrs : rrs.filter((r) => rdataTypeCode(r.data) === qtype);
      if (match.length > 0) {
        answers.push(...match);
        return { rcode: DNS_RCODE_NOERROR, answers, authorities: [], additionals: this.glue(match) };
      }
      const cname = rrs.find((r) => r.data.type === 'CNAME');
      if (cname === undefined || qtype === DNS_TYPE_CNAME || cname.data.type !== 'CNAME') {
        return { rcode: DNS_RCODE_NOERROR, answers, authorities: [this.negativeSoa()], additionals: [] }; // NODATA
      }
      answers.push(cname);
      name = nameKey(cname.data.target);
    }
    return { rcode: DNS_RCODE_NOERROR, answers, authorities: [], additionals: [] };
  }

  /** RFC 2308 3: the SOA of a negative answer carries min(SOA TTL, SOA MINIMUM). */
  private negativeSoa(): DnsRecord {
    const d = this.soa.data;
    const min = d.type === 'SOA' ? Math.min(this.soa.ttl, d.minimum) : this.soa.ttl;
    return { ...this.soa, ttl: min };
  }

  /** Addresses of in-zone SRV and NS targets (RFC 1035 4.3.2 step 6, RFC 2782 "Target"). */
  private glue(records: readonly DnsRecord[]): DnsRecord[] {
    const out: DnsRecord[] = [];
    for (const r of records) {
      const target = r.data.type === 'SRV' || r.data.type === 'NS' ? r.data.target : undefined;
      if (target === undefined) continue;
      for (const a of this.byName.get(nameKey(target)) ?? []) {
        const t = rdataTypeCode(a.data);
        if ((t === DNS_TYPE_A || t === DNS_TYPE_AAAA) && !out.includes(a)) out.push(a);
      }
    }
    return out;
  }
}

function parentName(key: string): string {
  const i = key.indexOf('.');
  return i < 0 || i === key.length - 1 ? '.' : key.slice(i + 1);
}

/**
 * The `zone` plugin: answers, authoritatively, names inside the most specific of `zones`; everything
 * else (and classes other than IN) goes to `next`.
 */
export function zonePlugin(zones: readonly (Zone | ZoneConfig)[]): DnsPlugin {
  const list = zones
    .map((z) => (z instanceof Zone ? z : new Zone(z)))
    .sort((a, b) => b.origin.length - a.origin.length);
  return (next) => (req, respond) => {
    const q = req.question;
    const zone = q.class === DNS_CLASS_IN ? list.find((z) => z.contains(q.name)) : undefined;
    if (zone === undefined) {
      next(req, respond);
      return;
    }
    respond(replyTo(req.message, { ...zone.lookup(q.name, q.type), aa: true }));
  };
}

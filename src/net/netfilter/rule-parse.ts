/**
 * One iptables rule from its words (`-s 10.42.0.0/16 -p tcp --dport 80 -j DNAT ...`), as the iptables
 * command line reads them: the matches and targets kube-proxy, flanneld and klipper-lb write. It owns the
 * word-level grammar and its error messages; the model is rules.ts's, whole files iptables-restore.ts's.
 */
import { parseIpv4, prefixMask, type Ipv4 } from '../../wire/addr.js';
import type { AddrMatch, CtState, MultiportMatch, PortMatch, RecentMatch, Rule, TableName, Target } from './rules.js';

// ipencap is /etc/protocols' name for 4, which iptables-save prints (Felix writes `-p 4`)
const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, ipip: 4, ipencap: 4, all: 0, sctp: 132 };

/** Splits a rule line into words, honouring double quotes (comments). */
export function tokenize(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) j++;
        s += line[j];
        j++;
      }
      if (j >= line.length) return undefined;
      out.push(s);
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parseAddr(text: string, neg: boolean): AddrMatch | undefined {
  const [a, l] = text.split('/');
  const addr = parseIpv4(a ?? '');
  const len = l === undefined ? 32 : /^[0-9]{1,2}$/.test(l) && Number(l) <= 32 ? Number(l) : -1;
  if (addr === undefined || len < 0) return undefined;
  const mask = prefixMask(len);
  return { addr: (addr & mask) >>> 0, mask, len, neg };
}

function parsePorts(text: string, neg: boolean): PortMatch | undefined {
  const m = /^([0-9]{1,5})(?::([0-9]{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) return undefined;
  return { lo, hi, neg };
}

/** ICMP type names iptables knows (`iptables -p icmp -h`), for the ones policy enforcers write. */
const ICMP_TYPES: Record<string, { type: number; code?: number }> = {
  'echo-reply': { type: 0 },
  'destination-unreachable': { type: 3 },
  'echo-request': { type: 8 },
  'time-exceeded': { type: 11 },
  'parameter-problem': { type: 12 },
  any: { type: 255 },
};

/** `--icmp-type` as iptables reads it: a name, a number, or TYPE/CODE. */
function parseIcmpType(text: string): { type: number; code?: number } | undefined {
  const named = ICMP_TYPES[text];
  if (named !== undefined) return named;
  const m = /^([0-9]{1,3})(?:\/([0-9]{1,3}))?$/.exec(text);
  if (!m || Number(m[1]) > 255 || Number(m[2] ?? 0) > 255) return undefined;
  return m[2] === undefined ? { type: Number(m[1]) } : { type: Number(m[1]), code: Number(m[2]) };
}

/** xt_multiport's list: ports and ranges, comma-separated, at most 15 slots (a range takes two). */
function parsePortList(text: string, dir: 'src' | 'dst', neg: boolean): MultiportMatch | undefined {
  const ranges: MultiportMatch['ranges'] = [];
  let slots = 0;
  for (const part of text.split(',')) {
    const p = parsePorts(part, neg);
    if (p === undefined) return undefined;
    slots += p.lo === p.hi ? 1 : 2;
    ranges.push({ lo: p.lo, hi: p.hi });
  }
  return slots > 15 ? undefined : { dir, ranges, neg };
}

function parseMark(text: string): { value: number; mask: number } | undefined {
  const m = /^(0x[0-9a-f]+|[0-9]+)(?:\/(0x[0-9a-f]+|[0-9]+))?$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) >>> 0;
  const mask = m[2] === undefined ? 0xffff_ffff : Number(m[2]) >>> 0;
  return { value, mask };
}

function parseHostPort(text: string): { ip: Ipv4; portLo?: number; portHi?: number } | undefined {
  const m = /^([0-9.]+)(?::([0-9]{1,5})(?:-([0-9]{1,5}))?)?$/.exec(text);
  if (!m) return undefined;
  const ip = parseIpv4(m[1]!);
  if (ip === undefined) return undefined;
  const r: { ip: Ipv4; portLo?: number; portHi?: number } = { ip };
  if (m[2] !== undefined) {
    r.portLo = Number(m[2]);
    r.portHi = m[3] === undefined ? r.portLo : Number(m[3]);
    if (r.portLo > 65535 || r.portHi > 65535 || r.portHi < r.portLo) return undefined;
  }
  return r;
}

/**
 * Parses the words of one `-A CHAIN ...` rule (without `-A CHAIN`). Returns the rule or an error message.
 * Understands what kube-proxy, flanneld and klipper-lb write; anything else is an error naming the word.
 */
export function parseRule(words: string[], text: string, table: TableName): Rule | string {
  const r: Rule = { target: undefined, text, packets: 0, bytes: 0 };
  let neg = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const arg = (): string | undefined => words[++i];
    if (w === '!') {
      neg = true;
      continue;
    }
    const n = neg;
    neg = false;
    switch (w) {
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        const v = arg();
        const a = v === undefined ? undefined : parseAddr(v, n);
        if (a === undefined) return `${w} needs an IPv4 address or CIDR, got ${JSON.stringify(v ?? '')}`;
        if (w === '-s' || w === '--source') r.src = a;
        else r.dst = a;
        break;
      }
      case '-p':
      case '--protocol': {
        const v = (arg() ?? '').toLowerCase();
        const num = PROTOS[v] ?? (/^[0-9]+$/.test(v) ? Number(v) : undefined);
        if (num === undefined) return `unknown protocol ${JSON.stringify(v)}`;
        if (num !== 0) r.proto = { num, neg: n };
        break;
      }
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        const v = arg();
        if (v === undefined) return `${w} needs an interface name`;
        if (w === '-i' || w === '--in-interface') r.inIf = { name: v, neg: n };
        else r.outIf = { name: v, neg: n };
        break;
      }
      case '-m':
      case '--match': {
        const v = arg();
        if (
          v === undefined ||
          ![
            'comment',
            'statistic',
            'mark',
            'addrtype',
            'conntrack',
            'state',
            'tcp',
            'udp',
            'icmp',
            'multiport',
            'recent',
            'set',
            'physdev',
            'limit',
            'sctp',
          ].includes(v)
        )
          return `unsupported match module ${JSON.stringify(v ?? '')}`;
        break;
      }
      case '--comment':
        r.comment = arg() ?? '';
        break;
      case '--physdev-is-bridged':
        r.physdevIsBridged = !n;
        break;
      case '--limit':
      case '--limit-burst': {
        // xt_limit's token bucket is not modelled: it only rate-limits NFLOG/LOG rules, which log nothing here
        const v = arg() ?? '';
        if (!/^[0-9]+(\/(second|minute|hour|day|sec|min|s|m|h|d))?$/.test(v))
          return `${w} needs a rate (10/minute) or a number, got ${JSON.stringify(v)}`;
        break;
      }
      case '--icmp-type': {
        const v = arg() ?? '';
        const t = parseIcmpType(v);
        if (t === undefined) return `--icmp-type: unknown ICMP type ${JSON.stringify(v)}`;
        r.icmpType = { ...t, neg: n };
        break;
      }
      case '--mode': {
        if (arg() !== 'random') return '--mode: only "random" is supported';
        break;
      }
      case '--probability': {
        const p = Number(arg());
        if (!(p >= 0 && p <= 1)) return '--probability needs a number between 0 and 1';
        r.probability = p;
        break;
      }
      case '--set':
      case '--rcheck':
      case '--update':
      case '--remove': {
        r.recent = { ...(r.recent ?? { name: 'DEFAULT', reap: false }), op: w.slice(2) as RecentMatch['op'], neg: n };
        break;
      }
      case '--name': {
        const v = arg();
        if (v === undefined || v === '') return '--name needs a list name';
        r.recent = { ...(r.recent ?? { op: 'rcheck', reap: false, neg: false }), name: v };
        break;
      }
      case '--seconds': {
        const v = arg() ?? '';
        if (!/^[0-9]{1,10}$/.test(v)) return `--seconds needs a number of seconds, got ${JSON.stringify(v)}`;
        r.recent = { ...(r.recent ?? { name: 'DEFAULT', op: 'rcheck', reap: false, neg: false }), seconds: Number(v) };
        break;
      }
      case '--reap':
        r.recent = { ...(r.recent ?? { name: 'DEFAULT', op: 'rcheck', neg: false }), reap: true };
        break;
      case '--rsource':
        break;
      case '--match-set': {
        // xt_set: NAME then one src|dst flag per dimension, comma-separated (libxt_set.c parse_dirs: at most
        // IPSET_DIM_MAX = 6)
        const name = arg();
        const dirs = arg();
        if (name === undefined || name === '') return '--match-set needs a set name';
        const flags = (dirs ?? '').split(',');
        if (flags.length > 6 || !flags.every((f): f is 'src' | 'dst' => f === 'src' || f === 'dst'))
          return `--match-set ${name} needs src or dst flags, got ${JSON.stringify(dirs ?? '')}`;
        r.sets = [...(r.sets ?? []), { name, flags, neg: n }];
        break;
      }
      case '--mask': {
        // xt_recent keys entries by the masked address; only the full mask (what kube-proxy gets) is modelled
        const v = arg();
        if (v !== '255.255.255.255') return `--mask: only 255.255.255.255 is supported, got ${JSON.stringify(v ?? '')}`;
        break;
      }
      case '--dport':
      case '--destination-port':
      case '--sport':
      case '--source-port': {
        const v = arg() ?? '';
        const p = parsePorts(v, n);
        if (p === undefined) return `${w} needs a port or range (80, 30000:32767), got ${JSON.stringify(v)}`;
        if (w !== '--sport' && w !== '--source-port') r.dport = p;
        else r.sport = p;
        break;
      }
      case '--dports':
      case '--destination-ports':
      case '--sports':
      case '--source-ports': {
        const v = arg() ?? '';
        const dir = w === '--dports' || w === '--destination-ports' ? 'dst' : 'src';
        const m = parsePortList(v, dir, n);
        if (m === undefined) return `${w} needs up to 15 ports or ranges (80,81:90), got ${JSON.stringify(v)}`;
        r.multiport = [...(r.multiport ?? []), m];
        break;
      }
      case '--mark': {
        const v = arg() ?? '';
        const m = parseMark(v);
        if (m === undefined) return `--mark needs VALUE[/MASK], got ${JSON.stringify(v)}`;
        r.mark = { ...m, neg: n };
        break;
      }
      case '--dst-type':
      case '--src-type': {
        const v = arg();
        if (v !== 'LOCAL') return `${w}: only LOCAL is supported, got ${JSON.stringify(v ?? '')}`;
        if (w === '--dst-type') r.dstTypeLocal = !n;
        else r.srcTypeLocal = !n;
        break;
      }
      case '--ctstate':
      case '--state': {
        const v = arg() ?? '';
        const states = v.split(',') as CtState[];
        if (!states.every((s) => ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'].includes(s)))
          return `unknown conntrack state in ${JSON.stringify(v)}`;
        r.ctstate = { states, neg: n };
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const t = arg();
        if (t === undefined) return `${w} needs a target`;
        const res = parseTarget(t, words, i, table, w === '-g' || w === '--goto');
        if (typeof res === 'string') return res;
        r.target = res.target;
        i = res.next - 1;
        break;
      }
      default:
        return `unsupported option ${JSON.stringify(w)}`;
    }
  }
  return r;
}

function parseTarget(
  t: string,
  words: string[],
  at: number,
  table: TableName,
  isGoto: boolean,
): { target: Target; next: number } | string {
  let i = at + 1;
  const opts = new Map<string, string | true>();
  while (i < words.length && words[i]!.startsWith('--')) {
    const k = words[i]!;
    if (k === '--random-fully' || k === '--random' || k === '--persistent') {
      opts.set(k, true);
      i++;
    } else {
      const v = words[i + 1];
      if (v === undefined) return `${k} needs a value`;
      opts.set(k, v);
      i += 2;
    }
  }
  const str = (k: string): string | undefined => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
      return { target: { kind: t }, next: i };
    case 'LOG':
      return { target: { kind: 'LOG' }, next: i };
    case 'NFLOG': {
      const group = str('--nflog-group') ?? '0';
      if (!/^[0-9]{1,5}$/.test(group) || Number(group) > 65535) return '--nflog-group needs a number 0-65535';
      const prefix = str('--nflog-prefix');
      return {
        target:
          prefix === undefined
            ? { kind: 'NFLOG', group: Number(group) }
            : { kind: 'NFLOG', group: Number(group), prefix },
        next: i,
      };
    }
    case 'REJECT':
      return { target: { kind: 'REJECT', with: str('--reject-with') ?? 'icmp-port-unreachable' }, next: i };
    case 'DNAT': {
      if (table !== 'nat') return 'DNAT is only valid in the nat table';
      const hp = parseHostPort(str('--to-destination') ?? '');
      if (hp === undefined) return 'DNAT needs --to-destination IP[:PORT]';
      return {
        target: hp.portLo === undefined ? { kind: 'DNAT', ip: hp.ip } : { kind: 'DNAT', ip: hp.ip, port: hp.portLo },
        next: i,
      };
    }
    case 'SNAT': {
      if (table !== 'nat') return 'SNAT is only valid in the nat table';
      const hp = parseHostPort(str('--to-source') ?? '');
      if (hp === undefined) return 'SNAT needs --to-source IP[:PORT[-PORT]]';
      const target: Target = { kind: 'SNAT', ip: hp.ip, randomFully: opts.has('--random-fully') };
      if (hp.portLo !== undefined) Object.assign(target, { portLo: hp.portLo, portHi: hp.portHi });
      return { target, next: i };
    }
    case 'MASQUERADE': {
      if (table !== 'nat') return 'MASQUERADE is only valid in the nat table';
      const target: Target = { kind: 'MASQUERADE', randomFully: opts.has('--random-fully') };
      const ports = str('--to-ports');
      if (ports !== undefined) {
        const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(ports);
        if (!m) return '--to-ports needs PORT[-PORT]';
        Object.assign(target, { portLo: Number(m[1]), portHi: Number(m[2] ?? m[1]) });
      }
      return { target, next: i };
    }
    case 'MARK': {
      for (const [k, op] of [
        ['--set-xmark', 'set'],
        ['--set-mark', 'set'],
        ['--or-mark', 'or'],
        ['--xor-mark', 'xor'],
        ['--and-mark', 'and'],
      ] as const) {
        const v = str(k);
        if (v === undefined) continue;
        const m = parseMark(v);
        if (m === undefined) return `${k} needs VALUE[/MASK]`;
        // --set-xmark v/m is "zero the mask bits then XOR v" (iptables-save writes --set-mark as --set-xmark)
        return {
          target: {
            kind: 'MARK',
            op: k === '--set-xmark' ? 'xor' : op,
            value: m.value,
            mask: k === '--set-xmark' ? m.mask : op === 'set' ? m.mask : 0,
          },
          next: i,
        };
      }
      return 'MARK needs --set-xmark, --set-mark, --or-mark, --xor-mark or --and-mark';
    }
    default:
      // iptables takes any name up to 28 characters without blanks (Felix's policy chains hold a "/")
      if (/^[A-Za-z0-9_./-]{1,28}$/.test(t)) return { target: { kind: isGoto ? 'GOTO' : 'JUMP', chain: t }, next: i };
      return `bad target ${JSON.stringify(t)}`;
  }
}

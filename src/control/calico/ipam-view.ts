/**
 * `calicoctl ipam show [--show-blocks]` as calicoctl v3.32.1 prints it (calicoctl/commands/ipam/show.go
 * showBlockUtilization, over ipam.go GetUtilization): one "IP Pool" row per pool in name order, then, with
 * --show-blocks, a "Block" row per block of that pool in datastore key order; blocks in no pool are listed
 * (as "Block" rows only) after the pools. Numbers are Go's `%.5g`, percentages `%.f` of 100*n/capacity.
 * The table is tablewriter.ts's (olekukonko/tablewriter v0.0.5's defaults). (calicoctl on main has since
 * moved to go-pretty and added an IPS RESERVED column; podnet follows the released version.) The node
 * shell's `calicoctl` command is the cluster's; this is the text.
 */
import { formatCidr, prefixContains, type Ipv4Prefix } from '../../wire/addr.js';
import type { BlockState, IpPool } from './ipam.js';
import { renderTableWriter } from './tablewriter.js';

/** Go's `%.5g` of a non-negative integer held in a float64 (strconv 'g', precision 5, ties to even). */
export function goG5(n: number): string {
  const digits = String(n);
  if (digits.length <= 5) return digits;
  let head = digits.slice(0, 5);
  const rest = digits.slice(5);
  let exp = digits.length - 1;
  const tie = rest[0] === '5' && /^50*$/.test(rest);
  const up = rest[0]! > '5' || (rest[0] === '5' && !tie) || (tie && Number(head.at(-1)) % 2 === 1);
  if (up) {
    const bumped = String(Number(head) + 1);
    if (bumped.length > 5) exp++;
    head = bumped.slice(0, 5);
  }
  const mantissa = head.replace(/0+$/, '');
  const frac = mantissa.slice(1);
  return `${mantissa[0]}${frac === '' ? '' : `.${frac}`}e+${String(exp).padStart(2, '0')}`;
}

/** Go's `%.f` of a float64: no decimals, an exact half rounds to even (strconv's decimal rounding). */
export function goF0(x: number): string {
  const floor = Math.floor(x);
  const frac = x - floor;
  const r = frac > 0.5 ? floor + 1 : frac < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return String(r);
}

function row(kind: string, cidr: Ipv4Prefix, inUse: number, capacity: number): string[] {
  return [
    kind,
    formatCidr(cidr),
    goG5(capacity),
    `${goG5(inUse)} (${goF0((100 * inUse) / capacity)}%)`,
    `${goG5(capacity - inUse)} (${goF0((100 * (capacity - inUse)) / capacity)}%)`,
  ];
}

/** The text of `calicoctl ipam show` (pools only) or `calicoctl ipam show --show-blocks`. */
export function formatIpamShow(
  pools: readonly IpPool[],
  blocks: readonly BlockState[],
  opts: { showBlocks?: boolean } = {},
): string {
  const sorted = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // GetUtilization: a block belongs to the first pool (in list order) it overlaps; the rest are orphans
  const byPool = new Map<IpPool | undefined, BlockState[]>();
  for (const b of blocks) {
    const owner = sorted.find((p) => overlaps(p.cidr, b.cidr));
    byPool.set(owner, [...(byPool.get(owner) ?? []), b]);
  }
  const rows: string[][] = [];
  for (const p of [...sorted, undefined]) {
    const mine = byPool.get(p) ?? [];
    const blockRows = mine.map((b) => row('Block', b.cidr, b.inUse, b.capacity));
    if (p !== undefined) {
      const inUse = mine.reduce((n, b) => n + b.inUse, 0);
      rows.push(row('IP Pool', p.cidr, inUse, 2 ** (32 - p.cidr.len)));
    }
    if (opts.showBlocks) rows.push(...blockRows);
  }
  return renderTableWriter(['GROUPING', 'CIDR', 'IPS TOTAL', 'IPS IN USE', 'IPS FREE'], rows);
}

function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return prefixContains(a, b.addr) || prefixContains(b, a.addr);
}

/** What `calicoctl get ippool` prints of a pool (IpPool plus the encapsulation fields of the resource). */
export interface IpPoolRow extends IpPool {
  readonly natOutgoing: boolean;
  readonly ipipMode: string;
  readonly vxlanMode: string;
  readonly disableBGPExport: boolean;
}

/**
 * Go's text/tabwriter as calicoctl's table printer sets it up (commands/common/printer.go:
 * `tabwriter.NewWriter(os.Stdout, 5, 1, 3, ' ', 0)`): every cell is tab-terminated, so each column is as
 * wide as its widest cell plus 3 (at least 5); the printer leaves an empty line after the table.
 */
export function renderTabwriter(rows: readonly (readonly string[])[]): string {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const width = Array.from({ length: cols }, (_, i) => Math.max(5, ...rows.map((r) => (r[i] ?? '').length + 3)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(width[i]!)).join('') + '\n').join('') + '\n';
}

/**
 * `calicoctl get ippool [-o wide]` (calicoctl/resourcemgr/ippool.go v3.32.1): NAME, CIDR, SELECTOR; wide adds
 * NAT, IPIPMODE, VXLANMODE, DISABLED, DISABLEBGPEXPORT and ASSIGNMENTMODE (Automatic, the only mode podnet
 * has). Pools in name order, as the datastore lists them.
 */
export function formatGetIpPool(pools: readonly IpPoolRow[], opts: { wide?: boolean } = {}): string {
  const sorted = [...pools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rows = opts.wide
    ? [
        ['NAME', 'CIDR', 'NAT', 'IPIPMODE', 'VXLANMODE', 'DISABLED', 'DISABLEBGPEXPORT', 'SELECTOR', 'ASSIGNMENTMODE'],
        ...sorted.map((p) => [
          p.name,
          formatCidr(p.cidr),
          String(p.natOutgoing),
          p.ipipMode || 'Never',
          p.vxlanMode || 'Never',
          String(p.disabled),
          String(p.disableBGPExport),
          p.nodeSelector,
          'Automatic',
        ]),
      ]
    : [['NAME', 'CIDR', 'SELECTOR'], ...sorted.map((p) => [p.name, formatCidr(p.cidr), p.nodeSelector])];
  return renderTabwriter(rows);
}

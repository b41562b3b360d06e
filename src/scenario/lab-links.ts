/**
 * Validation of a lab's links: their properties (also used for linkDefaults and a cluster's underlay)
 * and their NODE:PORT ends, which must name a declared interface or switch/hub port.
 */
import type { LinkProps } from '../link/channel.js';
import type { Checker, SpecPath } from './source.js';
import { parseBandwidth, parseByteSize, parseDuration } from './units.js';
import type { LinkSpec, NodeSpec } from './lab-types.js';

/** Keys of link properties. */
const LINK_PROPS = ['latency', 'bandwidth', 'mtu', 'queue', 'loss'] as const;

/** Validates link properties (latency, bandwidth, mtu, queue, loss); `extra` keys are allowed and left alone. */
export function checkLinkProps(c: Checker, path: SpecPath, v: unknown, extra: readonly string[]): Partial<LinkProps> {
  const o = c.fields(path, v, [...LINK_PROPS, ...extra]);
  const props: Partial<LinkProps> = {};
  if (o === undefined) return props;
  if (o.latency !== undefined) {
    const x = c.parse([...path, 'latency'], o.latency, parseDuration, 'a duration (1us, 2.5ms)');
    if (x !== undefined) props.latency = x;
  }
  if (o.bandwidth !== undefined) {
    const x = c.parse(
      [...path, 'bandwidth'],
      o.bandwidth,
      parseBandwidth,
      'a bandwidth (100Mbps, 10Gbps, or 0 for unlimited)',
    );
    if (x !== undefined) props.bandwidth = x;
  }
  if (o.mtu !== undefined) {
    const x = c.parse([...path, 'mtu'], o.mtu, parseByteSize, 'a size in bytes');
    if (x !== undefined) {
      if (x < 68 || x > 65535) c.error([...path, 'mtu'], `${x} is out of range: must be between 68 and 65535`);
      else props.mtu = x;
    }
  }
  if (o.queue !== undefined) {
    const x = c.int([...path, 'queue'], o.queue, { min: 1 });
    if (x !== undefined) props.queueLimit = x;
  }
  if (o.loss !== undefined) {
    if (typeof o.loss !== 'number' || !(o.loss >= 0 && o.loss < 1))
      c.error([...path, 'loss'], 'must be a probability in [0, 1)');
    else props.loss = o.loss;
  }
  return props;
}

/** Names of the ports a link can plug into on `n`. */
function portNames(n: NodeSpec): string[] {
  switch (n.kind) {
    case 'host':
    case 'router':
      return n.interfaces.map((i) => i.name);
    case 'switch':
      return n.ports.map((p) => p.name);
    case 'hub':
      return n.ports;
  }
}

/** Validates an endpoint NODE:PORT against the nodes: the node exists and declares the port. */
export function parseEnd(
  c: Checker,
  path: SpecPath,
  v: unknown,
  nodes: NodeSpec[],
): { node: string; port: string } | undefined {
  const s = c.str(path, v, { pattern: /^[^:]+:[^:]+$/, what: 'an endpoint NODE:PORT (A:eth0, sw1:p1)' });
  if (s === undefined) return undefined;
  const [node, port] = s.split(':') as [string, string];
  const n = nodes.find((x) => x.name === node);
  if (n === undefined) {
    c.error(path, `no node named ${JSON.stringify(node)}`);
    return undefined;
  }
  const ports = portNames(n);
  if (!ports.includes(port)) {
    const what = n.kind === 'host' || n.kind === 'router' ? 'interface' : 'port';
    c.error(path, `${node} has no ${what} ${JSON.stringify(port)} (has: ${ports.join(', ') || 'none'})`);
    return undefined;
  }
  return { node, port };
}

/** Validates one link; a link from a port to itself is refused (a cable has two ends). */
export function checkLink(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): LinkSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const props = checkLinkProps(c, path, o, ['a', 'b']);
  const a = parseEnd(c, [...path, 'a'], o.a, nodes);
  const b = parseEnd(c, [...path, 'b'], o.b, nodes);
  if (a === undefined || b === undefined) return undefined;
  if (a.node === b.node && a.port === b.port) {
    c.error([...path, 'b'], `a link cannot connect ${a.node}:${a.port} to itself`);
    return undefined;
  }
  return { a, b, props, path };
}

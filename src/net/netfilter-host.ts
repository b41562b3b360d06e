/**
 * The adapter between an IP node and its netfilter: what netfilter may ask of the node it runs in (local
 * addresses, MASQUERADE's source, the drop path, REJECT's answers). It owns only the wiring; the hooks and
 * rules are netfilter/'s, the ICMP errors and resets ip-errors.ts's.
 */
import type { NetfilterHost } from './netfilter/netfilter.js';
import type { IpNode } from './ip-node.js';

/** The NetfilterHost view of `node`. */
export function netfilterHostOf(node: IpNode): NetfilterHost {
  return {
    name: node.name,
    engine: node.engine,
    isLocal: (ip) => node.isLocal(ip),
    masqueradeAddress: (devName, toward) => {
      const d = node.dev(devName);
      return d === undefined ? undefined : node.sourceFor(d, toward);
    },
    get tracing() {
      return node.tracing;
    },
    note: (m) => node.note(m),
    drop: (reason, frame, _port, detail) => node.drop(reason, frame, undefined, detail),
    reject: (frame, ipLen, inDev, type, code) => {
      // the error leaves from the interface the packet came in on (or the first, for a local one)
      const d = (inDev === undefined ? undefined : node.dev(inDev)) ?? node.devs[0];
      if (d !== undefined) node.sendIcmpError(frame, ipLen, d, type, code, 0);
    },
    resetTcp: (frame, ipLen) => node.sendTcpReset(frame, ipLen),
  };
}

/**
 * Running a command somewhere in a running cluster (`podnet exec CLUSTER.yaml NAME -- CMD`, a cluster's
 * `exec` and `ping` steps): in a pod (name or namespace/name, or `deploy/NAME` for its first running pod,
 * as kubectl exec takes it), on a node, or on a machine outside the cluster. Names resolve as in that
 * machine itself: its /etc/hosts, then DNS per its resolv.conf, never a shortcut to the pod table.
 */
import { literalOr, type Command, type CommandResult } from '../apps/shell.js';
import { calicoCommands } from '../cluster/calico-commands.js';
import { systemLookup } from '../apps/dns/lookup.js';
import { tcpConnector } from '../apps/dns/tcp.js';
import type { IpNode } from '../net/ip-node.js';
import type { UdpStack } from '../transport/udp.js';
import type { TcpStack } from '../transport/tcp.js';
import type { ClusterRuntime } from '../cluster/runtime.js';
import { shellRun } from './lab-shell.js';

/** A machine of the cluster a command can run on. */
export interface ClusterMachine {
  ip: number;
  stack: IpNode;
  udp: UdpStack;
  tcp: TcpStack;
  resolvConf?: string;
  hostsFile?: string;
  /** Its own commands (a Calico node: calicoctl, birdcl). */
  commands?: ReadonlyMap<string, Command>;
}

/** The machine called `name` in `rt`, or undefined. */
export function clusterMachine(rt: ClusterRuntime, name: string): ClusterMachine | undefined {
  const deploy = /^(?:deploy|deployment)\/(?:([^/]+)\/)?([^/]+)$/.exec(name);
  if (deploy !== null) {
    const ns = deploy[1] ?? 'default';
    const p = rt.plan.pods.find(
      (x) => x.namespace === ns && x.owner?.deployment === deploy[2] && rt.pods.has(`${x.namespace}/${x.name}`),
    );
    return p === undefined ? undefined : rt.pods.get(`${p.namespace}/${p.name}`);
  }
  const pod = rt.pods.get(name) ?? [...rt.pods.values()].find((p) => p.name === name);
  if (pod !== undefined) return pod;
  const node = rt.nodes.get(name);
  if (node !== undefined)
    return rt.calico !== undefined && node.calico !== undefined
      ? { ...node, commands: calicoCommands(rt.calico, node.calico) }
      : node;
  return rt.outside.get(name) ?? (name === rt.internet.name ? rt.internet : undefined);
}

/** Every name a command can run on, for messages. */
export function clusterMachineNames(rt: ClusterRuntime): string {
  return `pods: ${[...rt.pods.keys()].join(', ') || 'none'}; nodes: ${[...rt.nodes.keys()].join(', ')}; outside: ${[rt.internet.name, ...rt.outside.keys()].join(', ')}`;
}

/** Starts `argv` on `where`; drive the engine until `done` is called. */
export function runOnMachine(where: ClusterMachine, argv: string[], done: (r: CommandResult) => void): void {
  shellRun(
    {
      node: where.stack,
      udp: where.udp,
      resolve: literalOr(() => undefined),
      lookup: systemLookup({
        udp: where.udp,
        connect: tcpConnector(where.tcp),
        ...(where.resolvConf !== undefined ? { resolvConf: where.resolvConf } : {}),
        ...(where.hostsFile !== undefined ? { hostsFile: where.hostsFile } : {}),
      }),
      tcp: where.tcp,
      ...(where.commands !== undefined ? { extraCommands: where.commands } : {}),
      ...(where.resolvConf !== undefined ? { resolvConf: where.resolvConf } : {}),
      ...(where.hostsFile !== undefined ? { hostsFile: where.hostsFile } : {}),
    },
    argv,
    done,
  );
}

/**
 * The commands a Calico node has beyond a Linux shell's (`podnet exec FILE NODE -- calicoctl node status`):
 * - `calicoctl node status`, `calicoctl ipam show [--show-blocks]`, `calicoctl get ippool [-o wide]`;
 * - `birdcl [-s SOCKET] show protocols`, `birdcl show route [all]`, as Calico's BIRD (1.6 fork) prints them.
 * They read the node's calico-node (calico-node.ts) and the cluster's IPAM at the moment they run.
 */
import { HTTP_EPOCH_MS } from '../apps/http/message.js';
import type { Command, CommandResult } from '../apps/shell.js';
import { birdProtocolOf, birdRoutesOf } from '../control/bgp/bird-status.js';
import { calicoNodeStatus } from '../control/bgp/calico-node-status.js';
import { birdShowProtocols, birdShowRoute, type BirdClock, type BirdOtherProtocol } from '../control/bgp/views.js';
import { formatGetIpPool, formatIpamShow } from '../control/calico/ipam-view.js';
import { IPIP_DEVICE } from '../control/calico/bird-routes.js';
import type { CalicoCluster, CalicoNodeAgent } from './calico-node.js';

/** Calico's BIRD greets with its version (calico/bird v0.3.3, a fork of BIRD 1.6.8). */
const BIRD_BANNER = 'BIRD v0.3.3+birdv1.6.8 ready.';

/** What calicoctl prints when BIRD does not run (the vxlan networking backend). */
const NO_BGP_PROCESS = 'Calico process is running.\n\nNone of the BGP backend processes (BIRD or GoBGP) are running.\n';

/** The node-specific commands of `agent` on `calico`'s cluster. */
export function calicoCommands(calico: CalicoCluster, agent: CalicoNodeAgent): Map<string, Command> {
  const clock = (now: number): BirdClock => ({ epochMs: HTTP_EPOCH_MS, now });
  // Calico's bird.cfg: the static protocol of the blocks (bird_aggr.cfg), then kernel, device and direct,
  // all up since calico-node started (t=0 here)
  const others: BirdOtherProtocol[] = [
    { name: 'static1', proto: 'Static', since: 0 },
    { name: 'kernel1', proto: 'Kernel', since: 0 },
    { name: 'device1', proto: 'Device', since: 0 },
    { name: 'direct1', proto: 'Direct', since: 0 },
  ];
  const result = (status: number, stdout: string): CommandResult => ({ status, stdout: stdout.replace(/\n$/, '') });
  const calicoctl: Command = (ctx, args, done) => {
    const words = args.join(' ');
    if (words === 'node status') {
      const bird = agent.bird;
      if (bird === undefined) return done(result(0, NO_BGP_PROCESS));
      const bgp = bird.status().map(birdProtocolOf);
      return done(result(0, calicoNodeStatus(bgp, others, clock(ctx.node.engine.now))));
    }
    if (words === 'ipam show' || words === 'ipam show --show-blocks')
      return done(
        result(
          0,
          formatIpamShow(calico.pools, calico.ipam.allBlocks(), { showBlocks: words.endsWith('--show-blocks') }),
        ),
      );
    if (words === 'get ippool' || words === 'get ippools' || words === 'get ippool -o wide')
      return done(result(0, formatGetIpPool(calico.pools, { wide: words.endsWith('wide') })));
    done(
      result(
        1,
        `calicoctl: podnet runs: node status, ipam show [--show-blocks], get ippool [-o wide] (not: ${words || 'nothing'})`,
      ),
    );
  };
  const birdcl: Command = (ctx, args, done) => {
    // `-s /var/run/calico/bird.ctl` names the control socket; there is one BIRD here
    const rest = args[0] === '-s' ? args.slice(2) : args;
    const bird = agent.bird;
    if (bird === undefined)
      return done(
        result(1, 'Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory'),
      );
    const words = rest.join(' ');
    const now = clock(ctx.node.engine.now);
    const peers = bird.status();
    if (words === 'show protocols' || words === 'show protocol') {
      const text = birdShowProtocols(peers.map(birdProtocolOf), others, now, 'calico-bird');
      return done(result(0, `${BIRD_BANNER}\n${text}`));
    }
    if (words === 'show route' || words === 'show route all') {
      // a route learned in IP-in-IP mode leaves by tunl0 (Calico's BIRD shows its kernel device)
      const ifaceOf = (nextHop: number): string => {
        const r = ctx.node.routes.lookup(nextHop);
        const viaTunnel = [...agent.kernel.values()].some((k) => k.via === nextHop && k.dev === IPIP_DEVICE);
        return viaTunnel ? IPIP_DEVICE : (r?.dev ?? 'eth0');
      };
      const routes = birdRoutesOf(bird.routes(), peers, ifaceOf, 0);
      return done(
        result(0, `${BIRD_BANNER}\n${birdShowRoute(routes, now, 'calico-bird', { all: words.endsWith('all') })}`),
      );
    }
    done(result(1, `${BIRD_BANNER}\nsyntax error (podnet's birdcl knows: show protocols, show route [all])`));
  };
  return new Map([
    ['calicoctl', calicoctl],
    ['birdcl', birdcl],
  ]);
}

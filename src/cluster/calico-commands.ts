/**
 * The commands a Calico node has beyond a Linux shell's (`podnet exec FILE NODE -- calicoctl node status`):
 * - `calicoctl node status`, `calicoctl ipam show [--show-blocks]`, `calicoctl get ippool [-o wide]`;
 * - `birdcl -s /var/run/calico/bird.ctl show protocols | show route [all]`, as Calico's BIRD (a BIRD 1.6
 *   fork) prints them (control/bgp/birdcl.ts).
 * They read the node's calico-node (calico-node.ts) and the cluster's IPAM at the moment they run.
 */
import { HTTP_EPOCH_MS } from '../apps/http/message.js';
import type { Command, CommandResult } from '../apps/shell.js';
import { birdProtocolOf, birdRoutesOf } from '../control/bgp/bird-status.js';
import { calicoNodeStatus } from '../control/bgp/calico-node-status.js';
import { calicoBirdOthers, type BirdClock } from '../control/bgp/views.js';
import { birdcl, CALICO_BIRD_SOCKET } from '../control/bgp/birdcl.js';
import { formatGetIpPool, formatIpamShow } from '../control/calico/ipam-view.js';
import { IPIP_DEVICE } from '../control/calico/bird-routes.js';
import type { CalicoCluster, CalicoNodeAgent } from './calico-node.js';

/** What calicoctl prints when BIRD does not run (the vxlan networking backend). */
const NO_BGP_PROCESS = 'Calico process is running.\n\nNone of the BGP backend processes (BIRD or GoBGP) are running.\n';

/** The node-specific commands of `agent` on `calico`'s cluster. */
export function calicoCommands(calico: CalicoCluster, agent: CalicoNodeAgent): Map<string, Command> {
  const clock = (now: number): BirdClock => ({ epochMs: HTTP_EPOCH_MS, now });
  // Calico's bird.cfg: static, kernel, device and direct protocols, up since calico-node started (t=0 here)
  const others = calicoBirdOthers(0);
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
  const birdclCommand: Command = (ctx, args, done) => {
    const bird = agent.bird;
    if (bird === undefined)
      return done(
        result(1, `Unable to connect to server control socket (${CALICO_BIRD_SOCKET}): No such file or directory`),
      );
    const peers = bird.status();
    // a route learned in IP-in-IP mode leaves by tunl0, which Calico's BIRD shows as its interface
    const ifaceOf = (nextHop: number): string =>
      [...agent.kernel.values()].some(({ route: k }) => k.via === nextHop && k.dev === IPIP_DEVICE)
        ? IPIP_DEVICE
        : (ctx.node.routes.lookup(nextHop)?.dev ?? 'eth0');
    const r = birdcl(args, {
      dialect: 'calico-bird',
      socket: CALICO_BIRD_SOCKET,
      bgp: peers.map(birdProtocolOf),
      others,
      routes: birdRoutesOf(bird.routes(), peers, ifaceOf, 0),
      clock: clock(ctx.node.engine.now),
    });
    done(result(r.status, r.status === 0 ? r.stdout : r.stdout + r.stderr));
  };
  return new Map([
    ['calicoctl', calicoctl],
    ['birdcl', birdclCommand],
  ]);
}

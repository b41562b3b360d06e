/**
 * How BIRD puts a route it learned into the kernel on a Calico node (Calico before v3.33, where BIRD still
 * programs IPIP cluster routes): confd renders the `calico_kernel_programming` filter from the IP pools
 * (confd/pkg/backends/calico/bgp_processor.go processIPPool), and Calico's BIRD fork turns
 * `krt_tunnel="tunl0"` into a route on tunl0 with the onlink flag:
 * - a pool with ipipMode Always: `krt_tunnel="tunl0"` -> `<block> via <node IP> dev tunl0 proto bird onlink`;
 * - ipipMode CrossSubnet: `if (bgp_next_hop ~ <local subnet>) then krt_tunnel=""; else krt_tunnel="tunl0";`
 *   so a same-subnet next hop takes the underlay device;
 * - no encapsulation: the next hop's own device, `<block> via <node IP> dev eth0 proto bird`;
 * - a VXLAN pool: rejected ("VXLAN routes are handled by Felix").
 * The BIRD side of the cluster calls birdKernelRoute for each route it learns.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { RouteSpec } from '../../net/route-table.js';
import { poolOf, sameSubnet, type Cidr, type FelixPool } from './felix-types.js';

/** The IPIP device Calico uses (dataplanedefs.IPIPIfaceName). */
export const IPIP_DEVICE = 'tunl0';

/** The node's own side of the choice: its address, subnet length and underlay device. */
export interface BirdLocal {
  address: Ipv4;
  subnetLen: number;
  device: string;
}

/**
 * The kernel route BIRD installs for `prefix` learned with next hop `nextHop`, or undefined when the
 * filter rejects it (a VXLAN pool's, or one outside every enabled pool: BIRD's filter then installs it
 * as is, which podnet reports as the plain next-hop route).
 */
export function birdKernelRoute(
  pools: readonly FelixPool[],
  local: BirdLocal,
  prefix: Cidr,
  nextHop: Ipv4,
): RouteSpec | undefined {
  const pool = poolOf(pools, prefix);
  if (pool !== undefined && pool.vxlanMode !== 'Never') return undefined;
  const tunnel =
    pool !== undefined &&
    (pool.ipipMode === 'Always' ||
      (pool.ipipMode === 'CrossSubnet' && !sameSubnet(nextHop, local.address, local.subnetLen)));
  // one object literal per learned route, the one returned
  return tunnel
    ? { dst: prefix.addr, len: prefix.len, via: nextHop, dev: IPIP_DEVICE, proto: 'bird', onlink: true }
    : { dst: prefix.addr, len: prefix.len, via: nextHop, dev: local.device, proto: 'bird' };
}

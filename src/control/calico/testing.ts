/**
 * Test helpers for Calico's control plane. Not used by the product; test files import it.
 */
import { parseCidr } from '../../wire/addr.js';
import type { IpPool } from './ipam.js';

/** An IPAM pool with Calico's defaults (/26 blocks, every node, not disabled, workloads and tunnels). */
export function testPool(name: string, cidr: string, extra: Partial<IpPool> = {}): IpPool {
  return {
    name,
    cidr: parseCidr(cidr)!,
    blockSize: 26,
    nodeSelector: 'all()',
    disabled: false,
    allowedUses: ['Workload', 'Tunnel'],
    ...extra,
  };
}

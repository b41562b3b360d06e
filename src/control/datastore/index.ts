/**
 * The datastore: an etcd v3 style key space (types.ts), its embedded in-memory implementation (memory.ts)
 * and flannel's key layout on top (flannel-keys.ts). The etcd server client lives in realtime/etcd/; the
 * conformance suite (conformance.ts) is for tests and not re-exported.
 */
export * from './flannel-keys.js';
export * from './key-order.js';
export * from './memory.js';
export * from './types.js';

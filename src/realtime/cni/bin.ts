#!/usr/bin/env node
/**
 * A CNI plugin executable: `podnet-cni TYPE` or a link named after the plugin (bridge, host-local,
 * loopback, portmap, flannel) pointing here. See exec.ts.
 */
import { basename } from 'node:path';
import { cniMain } from './exec.js';

const self = basename(process.argv[1] ?? '').replace(/\.js$/, '');
cniMain(self === 'bin' || self === 'podnet-cni' ? process.argv[2] : undefined);

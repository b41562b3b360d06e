/**
 * The Kubernetes e2e NetworkPolicy truth tables through a Calico cluster with Felix's policy chains
 * (src/cluster/calico-policy-enforcer.ts), measured by real probes (test/netpol-e2e/datapath.ts). All of them
 * run, the named-port cases included (Felix's hash:ip,port `cali40n:` sets).
 */
import { describeE2eThrough } from './netpol-e2e/datapath.js';

describeE2eThrough('calico', 'felix');

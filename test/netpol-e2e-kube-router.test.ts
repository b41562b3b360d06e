/**
 * The Kubernetes e2e NetworkPolicy truth tables through a Flannel cluster with k3s's embedded kube-router
 * policy controller (src/cluster/netpol-kube-router.ts), measured by real probes (test/netpol-e2e/datapath.ts).
 */
import { describeE2eThrough } from './netpol-e2e/datapath.js';

describeE2eThrough('flannel', 'kube-router');

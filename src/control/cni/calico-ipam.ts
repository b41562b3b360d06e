/**
 * The calico-ipam plugin (cni-plugin/pkg/ipamplugin): ADD assigns one IPv4 from Calico IPAM under the
 * handle `<network name>.<container ID>` (utils.GetHandleID, so `k8s-pod-network.<id>` with Calico's
 * conflist) and returns it with its block's prefix length, as libcalico-go's allocationBlock.autoAssign
 * masks it (`192.168.236.3/26`; the calico plugin then puts it on the pod as a /32); DEL releases
 * everything under the handle and is idempotent. The IPAM itself is the node's CalicoIpamClient.
 */
import { formatIpv4 } from '../../wire/addr.js';
import { NODENAME_MISSING, calicoEnvOf } from './calico-env.js';
import { parseCniArgs } from './host-local-config.js';
import type { CniPlugin, NetConf, PluginCtx } from './plugin.js';
import { CniErrorCode, SUPPORTED_VERSIONS, fail, ok, type CniOutcome, type CniResult } from './types.js';

/** utils.GetHandleID for a Kubernetes pod: network name, a dot, the container ID. */
export function calicoHandleId(networkName: string, containerId: string): string {
  return `${networkName}.${containerId}`;
}

function add(ctx: PluginCtx, conf: NetConf): CniOutcome<CniResult> {
  const env = calicoEnvOf(ctx.host);
  if (env === undefined) return fail(CniErrorCode.Internal, NODENAME_MISSING);
  const args = parseCniArgs(ctx.args);
  // ipam.AttributeNode / AttributeNamespace / AttributePod, as the plugin records them on the allocation
  const attrs: Record<string, string> = { node: env.nodeName };
  const ns = args.get('K8S_POD_NAMESPACE');
  const pod = args.get('K8S_POD_NAME');
  if (ns !== undefined && pod !== undefined) Object.assign(attrs, { namespace: ns, pod });
  const r = env.ipam.autoAssign({ handleId: calicoHandleId(conf.name, ctx.containerId), node: env.nodeName, attrs });
  if (!r.ok) {
    const why = typeof r.error === 'string' ? r.error : (r.error.message ?? 'IPAM assignment failed');
    return fail(CniErrorCode.Internal, why);
  }
  return ok({
    cniVersion: conf.cniVersion,
    ips: [{ address: `${formatIpv4(r.value.ip)}/${r.value.block.len}` }],
  });
}

function del(ctx: PluginCtx, conf: NetConf): CniOutcome<void> {
  const env = calicoEnvOf(ctx.host);
  if (env === undefined) return fail(CniErrorCode.Internal, NODENAME_MISSING);
  env.ipam.releaseByHandle(calicoHandleId(conf.name, ctx.containerId));
  return ok(undefined);
}

/** The calico-ipam plugin. */
export const calicoIpamPlugin: CniPlugin = {
  type: 'calico-ipam',
  supportedVersions: SUPPORTED_VERSIONS,
  add,
  del,
  check: () => ok(undefined),
  status(ctx) {
    return calicoEnvOf(ctx.host) === undefined
      ? fail(CniErrorCode.PluginNotAvailable, 'calico is not ready', NODENAME_MISSING)
      : ok(undefined);
  },
};

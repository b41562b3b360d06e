/**
 * The loopback plugin (plugins/main/loopback): brings `lo` up in the pod (DEL takes it down). Its result,
 * when it is first in a chain, lists lo with MAC 00:00:00:00:00:00 and lo's addresses on interface 0;
 * podnet speaks IPv4 only, so that is 127.0.0.1/8 alone (what the reference prints in a namespace with
 * IPv6 disabled). After another plugin it passes prevResult through unchanged.
 */
import { loopbackDown, loopbackUp } from './netlink.js';
import type { CniPlugin } from './plugin.js';
import { CniErrorCode, SUPPORTED_VERSIONS, fail, ok } from './types.js';

/** The loopback plugin. */
export const loopbackPlugin: CniPlugin = {
  type: 'loopback',
  supportedVersions: SUPPORTED_VERSIONS,

  add(ctx, conf, prev) {
    const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
    if (pod === undefined)
      return fail(CniErrorCode.Internal, `failed to Statfs "${ctx.netns}": no such file or directory`);
    loopbackUp(pod);
    if (prev !== undefined) return ok({ ...prev, cniVersion: conf.cniVersion });
    return ok({
      cniVersion: conf.cniVersion,
      interfaces: [{ name: ctx.ifName, mac: '00:00:00:00:00:00', sandbox: ctx.netns }],
      ips: [{ interface: 0, address: '127.0.0.1/8' }],
    });
  },

  del(ctx) {
    if (ctx.netns === '') return ok(undefined);
    const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
    if (pod !== undefined) loopbackDown(pod);
    return ok(undefined);
  },

  check(ctx) {
    const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
    const lo = pod?.dev('lo');
    if (lo === undefined || !lo.up) return fail(CniErrorCode.Internal, 'loopback interface is down');
    return ok(undefined);
  },

  status() {
    return ok(undefined);
  },
};

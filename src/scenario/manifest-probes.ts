/**
 * A container's readinessProbe and livenessProbe (v1.Probe), validated and defaulted as the API server
 * does: exactly one handler, periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3,
 * httpGet path "/" and scheme HTTP (pkg/apis/core/v1/defaults.go SetDefaults_Probe, SetDefaults_HTTPGetAction;
 * validation.go validateProbe: a liveness probe's successThreshold must be 1). Running them is the
 * kubelet's (cluster/prober.ts).
 */
import type { Probe, ProbeAction } from '../cluster/k8s-objects.js';
import { parseIpv4 } from '../wire/addr.js';
import type { SpecPath } from './source.js';
import { checkIntOrStringPort, checkStringList, strictFields, type ManifestCtx } from './manifest-common.js';

const HANDLERS = ['httpGet', 'tcpSocket', 'exec', 'grpc'] as const;
const TIMING = ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'];

/** Reads a probe at `path`; `liveness` makes successThreshold other than 1 an error. */
export function checkProbe(ctx: ManifestCtx, path: SpecPath, v: unknown, liveness: boolean): Probe | undefined {
  const { c } = ctx;
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(c, path, o, [...HANDLERS, ...TIMING], ['terminationGracePeriodSeconds']);
  const given = HANDLERS.filter((h) => o[h] !== undefined);
  if (given.length === 0) {
    c.error(path, 'Required value: must specify a handler type');
    return undefined;
  }
  if (given.length > 1) {
    c.error([...path, given[1]!], 'Forbidden: may not specify more than 1 handler type');
    return undefined;
  }
  const num = (key: string, def: number, min: number): number => {
    if (o[key] === undefined) return def;
    return c.int([...path, key], o[key], { min }) ?? def;
  };
  const probe = {
    initialDelaySeconds: num('initialDelaySeconds', 0, 0),
    periodSeconds: num('periodSeconds', 10, 1),
    timeoutSeconds: num('timeoutSeconds', 1, 1),
    successThreshold: num('successThreshold', 1, 1),
    failureThreshold: num('failureThreshold', 3, 1),
  };
  if (liveness && probe.successThreshold !== 1)
    c.error([...path, 'successThreshold'], `Invalid value: ${probe.successThreshold}: must be 1`);
  const action = checkAction(ctx, [...path, given[0]!], given[0]!, o[given[0]!]);
  return action === undefined ? undefined : { action, ...probe };
}

function checkAction(
  ctx: ManifestCtx,
  path: SpecPath,
  kind: (typeof HANDLERS)[number],
  v: unknown,
): ProbeAction | undefined {
  const { c } = ctx;
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const host = (): { host?: number } => {
    if (o.host === undefined) return {};
    const ip = c.parse([...path, 'host'], o.host, parseIpv4, 'an IPv4 address');
    return ip === undefined ? {} : { host: ip };
  };
  const port = (): number | string | undefined => {
    if (o.port === undefined) {
      c.error([...path, 'port'], 'Required value');
      return undefined;
    }
    return checkIntOrStringPort(c, [...path, 'port'], o.port);
  };
  switch (kind) {
    case 'httpGet': {
      strictFields(c, path, o, ['path', 'port', 'host', 'scheme', 'httpHeaders']);
      const p = port();
      const scheme =
        o.scheme === undefined ? 'HTTP' : (c.oneOf([...path, 'scheme'], o.scheme, ['HTTP', 'HTTPS']) ?? 'HTTP');
      const headers: [string, string][] = [];
      (o.httpHeaders === undefined ? [] : (c.arr([...path, 'httpHeaders'], o.httpHeaders) ?? [])).forEach((x, i) => {
        const hp = [...path, 'httpHeaders', i];
        const h = c.obj(hp, x);
        if (h === undefined) return;
        strictFields(c, hp, h, ['name', 'value']);
        const name = c.str([...hp, 'name'], h.name);
        const value = c.str([...hp, 'value'], h.value, { allowEmpty: true });
        if (name !== undefined && value !== undefined) headers.push([name, value]);
      });
      const reqPath = o.path === undefined ? '/' : (c.str([...path, 'path'], o.path) ?? '/');
      return p === undefined ? undefined : { type: 'httpGet', path: reqPath, port: p, scheme, headers, ...host() };
    }
    case 'tcpSocket': {
      strictFields(c, path, o, ['port', 'host']);
      const p = port();
      return p === undefined ? undefined : { type: 'tcpSocket', port: p, ...host() };
    }
    case 'exec': {
      strictFields(c, path, o, ['command']);
      return {
        type: 'exec',
        command: o.command === undefined ? [] : checkStringList(c, [...path, 'command'], o.command),
      };
    }
    case 'grpc': {
      strictFields(c, path, o, ['port', 'service']);
      const p = c.int([...path, 'port'], o.port, { min: 1, max: 65535 });
      const service =
        o.service === undefined ? undefined : c.str([...path, 'service'], o.service, { allowEmpty: true });
      return p === undefined ? undefined : { type: 'grpc', port: p, ...(service === undefined ? {} : { service }) };
    }
  }
}

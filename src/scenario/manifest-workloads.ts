/**
 * v1 Pod and apps/v1 Deployment manifests, validated as the API server validates them (names, containers
 * and ports, hostNetwork host ports, a Deployment's selector against its template's labels) with the
 * API server's defaults. Scheduling and naming replicas is cluster/plan.ts's.
 */
import type { Container, ContainerPort, Deployment, Pod, PodSpec } from '../cluster/k8s-objects.js';
import { checkDns1123Label, checkDns1123Subdomain, checkPortName } from '../cluster/k8s-validation.js';
import { selectorIsEmpty, selectorMatches } from '../control/label-selector.js';
import type { Origin } from '../cluster/source-ref.js';
import { parseIpv4 } from '../wire/addr.js';
import type { SpecPath } from './source.js';
import {
  checkAnnotations,
  checkLabels,
  checkMeta,
  checkPortNumber,
  checkProtocol,
  checkSelector,
  checkStringList,
  invalid,
  openObject,
  strictFields,
  warn,
  type ManifestCtx,
} from './manifest-common.js';
import { checkProbe } from './manifest-probes.js';
import { checkDnsConfig, checkHostAliases } from './manifest-pod-dns.js';

/** PodSpec fields podnet accepts and ignores (storage, security, resources, lifecycle, ...). */
const POD_SPEC_IGNORED = [
  'activeDeadlineSeconds',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'ephemeralContainers',
  'hostIPC',
  'hostPID',
  'hostUsers',
  'imagePullSecrets',
  'initContainers',
  'os',
  'overhead',
  'preemptionPolicy',
  'priority',
  'priorityClassName',
  'readinessGates',
  'resourceClaims',
  'resources',
  'runtimeClassName',
  'schedulerName',
  'securityContext',
  'serviceAccount',
  'serviceAccountName',
  'setHostnameAsFQDN',
  'shareProcessNamespace',
  'terminationGracePeriodSeconds',
  'tolerations',
  'volumes',
];
/** PodSpec fields that change scheduling in Kubernetes but not in podnet's simple scheduler: accepted with a warning. */
const POD_SPEC_SCHEDULING = ['affinity', 'topologySpreadConstraints', 'schedulingGates'];
/** Container fields podnet accepts and ignores. */
const CONTAINER_IGNORED = [
  'env',
  'envFrom',
  'imagePullPolicy',
  'lifecycle',
  'resizePolicy',
  'resources',
  'restartPolicy',
  'securityContext',
  'startupProbe',
  'stdin',
  'stdinOnce',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'tty',
  'volumeDevices',
  'volumeMounts',
  'workingDir',
];

/** v1 Pod. */
export function checkPod(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): Pod | undefined {
  const { c } = ctx;
  strictFields(c, base, o, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  const metadata = checkMeta(ctx, [...base, 'metadata'], o.metadata, {
    namespaced: true,
    nameRule: checkDns1123Subdomain,
  });
  const spec = checkPodSpec(ctx, [...base, 'spec'], o.spec, false);
  if (metadata === undefined || spec === undefined) return undefined;
  return { kind: 'Pod', metadata, spec, origin };
}

/** apps/v1 Deployment. */
export function checkDeployment(
  ctx: ManifestCtx,
  base: SpecPath,
  o: Record<string, unknown>,
  origin: Origin,
): Deployment | undefined {
  const { c } = ctx;
  const opened = openObject(
    ctx,
    base,
    o,
    checkDns1123Subdomain,
    ['replicas', 'selector', 'template'],
    ['minReadySeconds', 'paused', 'progressDeadlineSeconds', 'revisionHistoryLimit', 'strategy'],
  );
  if (opened === undefined) return undefined;
  const { metadata, sp, spec } = opened;
  const replicas =
    spec.replicas === undefined ? 1 : c.int([...sp, 'replicas'], spec.replicas, { min: 0, max: 1_000_000 }); // Kubernetes allows any int32; podnet caps at a million pods
  const selector = checkSelector(c, [...sp, 'selector'], spec.selector);
  if (selector !== undefined && selectorIsEmpty(selector))
    c.error([...sp, 'selector'], 'Invalid value: empty selector is invalid for deployment');
  const tp = [...sp, 'template'];
  const template = c.obj(tp, spec.template);
  if (template === undefined) return undefined;
  strictFields(c, tp, template, ['metadata', 'spec']);
  let labels: Record<string, string> = {};
  let annotations: Record<string, string> = {};
  const tm = template.metadata === undefined ? undefined : c.obj([...tp, 'metadata'], template.metadata);
  if (tm !== undefined) {
    strictFields(
      c,
      [...tp, 'metadata'],
      tm,
      ['labels', 'annotations'],
      ['name', 'namespace', 'generateName', 'creationTimestamp', 'finalizers', 'ownerReferences', 'uid'],
    );
    if (tm.labels !== undefined) labels = checkLabels(c, [...tp, 'metadata', 'labels'], tm.labels);
    if (tm.annotations !== undefined)
      annotations = checkAnnotations(c, [...tp, 'metadata', 'annotations'], tm.annotations);
  }
  // The API server: a Deployment's selector must select the pods its template makes.
  if (selector !== undefined && !selectorIsEmpty(selector) && !selectorMatches(selector, labels)) {
    c.error(
      [...tp, 'metadata', 'labels'],
      `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
    );
  }
  const podSpec = checkPodSpec(ctx, [...tp, 'spec'], template.spec, true);
  if (metadata === undefined || replicas === undefined || selector === undefined || podSpec === undefined)
    return undefined;
  return { kind: 'Deployment', metadata, replicas, selector, template: { labels, annotations, spec: podSpec }, origin };
}

/** v1.PodSpec; a Deployment's template must restart Always. */
export function checkPodSpec(ctx: ManifestCtx, path: SpecPath, v: unknown, template: boolean): PodSpec | undefined {
  const { c } = ctx;
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(
    c,
    path,
    o,
    [
      'containers',
      'nodeName',
      'nodeSelector',
      'hostNetwork',
      'dnsPolicy',
      'dnsConfig',
      'hostAliases',
      'restartPolicy',
      'hostname',
      'subdomain',
    ],
    [...POD_SPEC_IGNORED, ...POD_SPEC_SCHEDULING],
  );
  for (const k of POD_SPEC_SCHEDULING)
    if (o[k] !== undefined)
      warn(ctx, [...path, k], `podnet's scheduler ignores ${k} (it honours nodeName and nodeSelector)`);
  const hostNetwork = o.hostNetwork === undefined ? false : (c.bool([...path, 'hostNetwork'], o.hostNetwork) ?? false);
  const spec: PodSpec = {
    nodeSelector: o.nodeSelector === undefined ? {} : checkLabels(c, [...path, 'nodeSelector'], o.nodeSelector),
    hostNetwork,
    dnsPolicy:
      o.dnsPolicy === undefined
        ? 'ClusterFirst'
        : (c.oneOf([...path, 'dnsPolicy'], o.dnsPolicy, [
            'ClusterFirst',
            'ClusterFirstWithHostNet',
            'Default',
            'None',
          ] as const) ?? 'ClusterFirst'),
    restartPolicy:
      o.restartPolicy === undefined
        ? 'Always'
        : (c.oneOf([...path, 'restartPolicy'], o.restartPolicy, ['Always', 'OnFailure', 'Never'] as const) ?? 'Always'),
    hostAliases: checkHostAliases(ctx, [...path, 'hostAliases'], o.hostAliases),
    containers: [],
  };
  const dnsConfig = checkDnsConfig(ctx, [...path, 'dnsConfig'], o.dnsConfig, spec.dnsPolicy);
  if (dnsConfig !== undefined) spec.dnsConfig = dnsConfig;
  if (template && spec.restartPolicy !== 'Always')
    c.error(
      [...path, 'restartPolicy'],
      `Unsupported value: ${JSON.stringify(spec.restartPolicy)}: supported values: "Always"`,
    );
  if (o.nodeName !== undefined) {
    const n = c.str([...path, 'nodeName'], o.nodeName);
    if (n !== undefined && invalid(c, [...path, 'nodeName'], n, checkDns1123Subdomain(n))) spec.nodeName = n;
  }
  for (const key of ['hostname', 'subdomain'] as const) {
    if (o[key] === undefined) continue;
    const n = c.str([...path, key], o[key]);
    if (n !== undefined && invalid(c, [...path, key], n, checkDns1123Label(n))) spec[key] = n;
  }
  const list = c.arr([...path, 'containers'], o.containers);
  if (list !== undefined && list.length === 0)
    c.error([...path, 'containers'], 'Required value: a pod needs at least one container');
  const names = new Set<string>();
  (list ?? []).forEach((x, i) => {
    const ctr = checkContainer(ctx, [...path, 'containers', i], x, hostNetwork);
    if (ctr === undefined) return;
    if (names.has(ctr.name))
      c.error([...path, 'containers', i, 'name'], `Duplicate value: ${JSON.stringify(ctr.name)}`);
    names.add(ctr.name);
    spec.containers.push(ctr);
  });
  // Two containers of one pod cannot hold the same host port.
  const hostPorts = new Set<string>();
  spec.containers.forEach((ctr) => {
    ctr.ports.forEach((p) => {
      if (p.hostPort === undefined) return;
      const key = `${p.protocol}/${p.hostPort}`;
      if (hostPorts.has(key)) {
        const i = spec.containers.indexOf(ctr);
        c.error(
          [...path, 'containers', i, 'ports', ctr.ports.indexOf(p), 'hostPort'],
          `Duplicate value: "${p.hostPort}/${p.protocol}"`,
        );
      }
      hostPorts.add(key);
    });
  });
  return spec;
}

function checkContainer(ctx: ManifestCtx, path: SpecPath, v: unknown, hostNetwork: boolean): Container | undefined {
  const { c } = ctx;
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  strictFields(
    c,
    path,
    o,
    ['name', 'image', 'command', 'args', 'ports', 'readinessProbe', 'livenessProbe'],
    CONTAINER_IGNORED,
  );
  let name = c.str([...path, 'name'], o.name);
  if (name !== undefined && !invalid(c, [...path, 'name'], name, checkDns1123Label(name))) name = undefined;
  const image = c.str([...path, 'image'], o.image);
  const ports: ContainerPort[] = [];
  const portNames = new Set<string>();
  if (o.ports !== undefined) {
    (c.arr([...path, 'ports'], o.ports) ?? []).forEach((x, i) => {
      const pp = [...path, 'ports', i];
      const po = c.obj(pp, x);
      if (po === undefined) return;
      strictFields(c, pp, po, ['name', 'containerPort', 'protocol', 'hostPort', 'hostIP']);
      const containerPort = checkPortNumber(c, [...pp, 'containerPort'], po.containerPort);
      const protocol = checkProtocol(c, [...pp, 'protocol'], po.protocol);
      const port: ContainerPort = { containerPort: containerPort ?? 0, protocol };
      if (po.name !== undefined) {
        const n = c.str([...pp, 'name'], po.name);
        if (n !== undefined && invalid(c, [...pp, 'name'], n, checkPortName(n))) {
          if (portNames.has(n)) c.error([...pp, 'name'], `Duplicate value: ${JSON.stringify(n)}`);
          portNames.add(n);
          port.name = n;
        }
      }
      if (po.hostPort !== undefined) {
        const h = c.int([...pp, 'hostPort'], po.hostPort, { min: 0, max: 65535 });
        if (h !== undefined && h !== 0) port.hostPort = h;
      }
      if (hostNetwork && containerPort !== undefined) {
        // The API server defaults hostPort to containerPort with hostNetwork and refuses any other value.
        if (port.hostPort !== undefined && port.hostPort !== containerPort)
          c.error(
            [...pp, 'hostPort'],
            `Invalid value: ${port.hostPort}: must match \`containerPort\` when \`hostNetwork\` is true`,
          );
        port.hostPort = containerPort;
      }
      if (po.hostIP !== undefined) {
        const ip = c.parse([...pp, 'hostIP'], po.hostIP, parseIpv4, 'an IPv4 address');
        if (ip !== undefined) port.hostIP = ip;
      }
      if (containerPort !== undefined) ports.push(port);
    });
  }
  if (name === undefined || image === undefined) return undefined;
  const ctr: Container = { name, image, ports };
  if (o.command !== undefined) ctr.command = checkStringList(c, [...path, 'command'], o.command);
  if (o.args !== undefined) ctr.args = checkStringList(c, [...path, 'args'], o.args);
  const readiness =
    o.readinessProbe === undefined ? undefined : checkProbe(ctx, [...path, 'readinessProbe'], o.readinessProbe, false);
  if (readiness !== undefined) ctr.readinessProbe = readiness;
  const liveness =
    o.livenessProbe === undefined ? undefined : checkProbe(ctx, [...path, 'livenessProbe'], o.livenessProbe, true);
  if (liveness !== undefined) ctr.livenessProbe = liveness;
  return ctr;
}

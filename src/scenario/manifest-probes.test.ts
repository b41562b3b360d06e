/** readinessProbe and livenessProbe as the API server defaults and checks them (pkg/apis/core/v1/defaults.go, validation.go). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from '../cluster/k8s-objects.js';
import { readManifestDocs } from './manifests.js';
import { formatSpecError, loadYaml } from './source.js';

function read(probes: string): { pod?: Pod; errors: string[] } {
  const text = `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
  containers:
    - name: c
      image: nginx
${probes}`;
  const loaded = loadYaml('p.yaml', text);
  assert.ok(loaded.ok);
  const m = readManifestDocs(loaded.docs);
  const pod = m.objects[0] as Pod | undefined;
  return { ...(pod === undefined ? {} : { pod }), errors: m.errors.map(formatSpecError) };
}

test("a probe gets Kubernetes' defaults: period 10, timeout 1, success 1, failure 3, delay 0, path /, scheme HTTP", () => {
  const { pod, errors } = read(`      readinessProbe:
        httpGet: { port: http }
      livenessProbe:
        tcpSocket: { port: 80 }
        periodSeconds: 5`);
  assert.deepEqual(errors, []);
  const c = pod!.spec.containers[0]!;
  assert.deepEqual(c.readinessProbe, {
    action: { type: 'httpGet', path: '/', port: 'http', scheme: 'HTTP', headers: [] },
    initialDelaySeconds: 0,
    periodSeconds: 10,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.livenessProbe?.action, { type: 'tcpSocket', port: 80 });
  assert.equal(c.livenessProbe?.periodSeconds, 5);
});

test('a probe needs exactly one handler; liveness successThreshold must be 1; periods are at least 1', () => {
  const none = read(`      readinessProbe:
        periodSeconds: 3`);
  assert.match(none.errors.join('\n'), /readinessProbe: Required value: must specify a handler type/);
  const two = read(`      readinessProbe:
        httpGet: { port: 80 }
        tcpSocket: { port: 80 }`);
  assert.match(two.errors.join('\n'), /readinessProbe\.tcpSocket: Forbidden: may not specify more than 1 handler type/);
  const live = read(`      livenessProbe:
        tcpSocket: { port: 80 }
        successThreshold: 2
        periodSeconds: 0`);
  assert.match(live.errors.join('\n'), /livenessProbe\.successThreshold: Invalid value: 2: must be 1/);
  assert.match(live.errors.join('\n'), /livenessProbe\.periodSeconds: .*at least 1/);
  const typo = read(`      readinessProbe:
        httpGet: { port: 80, paht: /x }`);
  assert.match(typo.errors.join('\n'), /unknown field "paht" \(did you mean "path"\?\)/);
});

/**
 * agnhost as the Kubernetes netpol e2e pods run it (model.go's containers), over the emulated network:
 * client (10.0.1.2) -- router -- web (10.43.0.1), the container on web with hostname pod-a.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpLab, ip, runToEnd } from '../http/testing.js';
import { readAll } from '../../transport/socket.js';
import { SECOND } from '../../sim/engine.js';
import { curlCommand } from '../curl.js';
import { imageBehaviour, startContainer } from './registry.js';
import { agnhostArgv, sctpNotEmulated } from './agnhost.js';
import type { DeclaredPort } from './types.js';

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.52';

function lab(command: string[], args: string[] = [], ports: DeclaredPort[] = [], env?: Record<string, string>) {
  const l = httpLab();
  const running = startContainer({
    node: l.web.node,
    tcp: l.web.tcp,
    udp: l.web.udp,
    hostname: 'pod-a',
    image: AGNHOST,
    command,
    args,
    ports,
    ...(env !== undefined ? { env } : {}),
  });
  return { l, running };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('agnhost (the e2e netpol containers)', () => {
  it('is known by repository, old and new registries alike', () => {
    assert.ok(imageBehaviour(AGNHOST) !== undefined);
    assert.ok(imageBehaviour('gcr.io/kubernetes-e2e-test-images/agnhost:2.8') !== undefined);
  });

  it('serve-hostname --tcp --http=false --port 80: writes the hostname and closes', () => {
    const { l, running } = lab(
      ['/agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80'],
      [],
      [{ containerPort: 80, protocol: 'TCP' }],
    );
    assert.deepEqual(
      running.listening.map((x) => `${x.port}/${x.protocol}`),
      ['80/TCP'],
    );
    let got: string | undefined;
    const s = l.client.tcp.connect(ip('10.43.0.1'), 80);
    readAll(s, (b) => {
      got = text(b);
      s.end();
    });
    l.engine.runUntilIdle(10 * SECOND);
    assert.equal(got, 'pod-a');
  });

  it('serve-hostname --udp --http=false --port=81: answers each datagram with the hostname, from port 81', () => {
    const { l, running } = lab(['/agnhost', 'serve-hostname', '--udp', '--http=false', '--port=81']);
    assert.deepEqual(
      running.listening.map((x) => `${x.port}/${x.protocol}`),
      ['81/UDP'],
    );
    const answers: string[] = [];
    l.client.udp.bind(40000, (d) => answers.push(`${d.srcPort} ${text(d.payload)}`));
    l.client.udp.send(40000, ip('10.43.0.1'), 81, new TextEncoder().encode('hello'));
    l.client.udp.send(40000, ip('10.43.0.1'), 81, new TextEncoder().encode('again'));
    l.engine.runUntilIdle(10 * SECOND);
    assert.deepEqual(answers, ['81 pod-a', '81 pod-a']);
    // TCP on the same port is not served: refused
    assert.equal(runToEnd(l.engine, curlCommand, l.client.ctx, ['-s', 'http://web:81/']).status, 7);
  });

  it('serve-hostname with neither: HTTP on 9376; --tcp without --http=false exits as the real one does', () => {
    const { l } = lab([], ['serve-hostname']);
    const r = runToEnd(l.engine, curlCommand, l.client.ctx, ['-s', 'http://web:9376/anything']);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'pod-a');
    const both = lab(['/agnhost', 'serve-hostname', '--tcp', '--port', '80']).running;
    assert.equal(both.exited, "Can't server TCP/UDP mode and HTTP mode at the same time");
    assert.deepEqual(both.listening, []);
  });

  it('porter: SERVE_PORT_<N> over HTTP; SERVE_SCTP_PORT_<N> is SCTP, which nothing here serves', () => {
    const env = { SERVE_PORT_8080: 'foo', SERVE_SCTP_PORT_80: 'foo' };
    const { l, running } = lab(['/agnhost', 'porter'], [], [], env);
    assert.deepEqual(
      running.listening.map((x) => `${x.port}/${x.protocol}`),
      ['8080/TCP'],
    );
    assert.equal(runToEnd(l.engine, curlCommand, l.client.ctx, ['-s', 'http://web:8080/']).stdout, 'foo');
    assert.deepEqual(sctpNotEmulated(env), [80]);
  });

  it('the entrypoint is /agnhost and its CMD pause: the subcommand may come in command or args', () => {
    assert.deepEqual(agnhostArgv([], []), ['pause']);
    assert.deepEqual(agnhostArgv([], ['serve-hostname', '--udp']), ['serve-hostname', '--udp']);
    assert.deepEqual(agnhostArgv(['/agnhost', 'porter'], []), ['porter']);
    assert.deepEqual(lab([], []).running.listening, []);
  });
});

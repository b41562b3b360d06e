/**
 * The traefik image on a small emulated LAN (client, traefik, two traefik/whoami servers on one switch):
 * what whoami prints behind it (checked against the whoami output in Traefik's own docs,
 * docs/content/expose/kubernetes/basic.md), round-robin over two servers, 404 when nothing matches (Go's
 * http.NotFound), 502 when a server refuses, and forwarded headers from an untrusted client dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, SECOND } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import { TcpStack } from '../../transport/tcp.js';
import { UdpStack } from '../../transport/udp.js';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { HttpClient, type HttpExchangeResult } from '../http/client.js';
import { latin1 } from '../http/message.js';
import { whoamiImage } from './whoami.js';
import { traefikImage } from './traefik.js';
import type { IngressView, TraefikRouter, TraefikServer } from './traefik-routes.js';
import type { ContainerContext } from './types.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

interface Lan {
  engine: Engine;
  client: HttpClient;
  hosts: Map<string, { node: IpNode; tcp: TcpStack; udp: UdpStack }>;
}

function lan(names: [string, string][]): Lan {
  const engine = new Engine(1);
  const net = new Network(engine);
  const sw = new Switch(net, 'sw');
  const hosts: Lan['hosts'] = new Map();
  names.forEach(([name, addr], i) => {
    const node = new IpNode(net, name);
    node.addNic('eth0', 0x02_00_00_00_00_10 + i);
    node.addAddress('eth0', { addr: ip(addr), len: 24 });
    net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i}`), { latency: 100_000 });
    hosts.set(name, { node, tcp: new TcpStack(node), udp: new UdpStack(node) });
  });
  return {
    engine,
    client: new HttpClient(hosts.get('client')!.tcp, { keepAlive: false, userAgent: 'curl/7.68.0' }),
    hosts,
  };
}

function ctx(l: Lan, name: string, image: string, args: string[] = []): ContainerContext {
  const h = l.hosts.get(name)!;
  return { ...h, hostname: name, image, command: [], args, ports: [] };
}

/** client 10.42.0.1, traefik 10.42.0.17, whoami-a 10.42.0.18, whoami-b 10.42.0.19 (port 80). */
function setup(routers: TraefikRouter[], servers: TraefikServer[]) {
  const l = lan([
    ['client', '10.42.0.1'],
    ['traefik-76cbd5b89c-rx5xn', '10.42.0.17'],
    ['whoami-a', '10.42.0.18'],
    ['whoami-b', '10.42.0.19'],
  ]);
  const view: IngressView = { configuration: () => ({ routers, services: new Map([['default-whoami-80', servers]]) }) };
  whoamiImage.start(ctx(l, 'whoami-a', 'traefik/whoami'));
  whoamiImage.start(ctx(l, 'whoami-b', 'traefik/whoami'));
  const traefik = traefikImage(() => view).start(
    ctx(l, 'traefik-76cbd5b89c-rx5xn', 'rancher/mirrored-library-traefik'),
  );
  const get = (host: string, target = '/', headers: [string, string][] = []): HttpExchangeResult => {
    let r: HttpExchangeResult | undefined;
    l.client.request(
      ip('10.42.0.17'),
      8000,
      { host, target, headers: [['Accept', '*/*'], ...headers] },
      (x) => (r = x),
    );
    l.engine.runUntilIdle(l.engine.now + 10 * SECOND);
    assert.ok(r !== undefined, 'no answer');
    return r;
  };
  return { l, get, traefik };
}

const WHOAMI: TraefikRouter = {
  name: 'default-whoami-whoami-docker-localhost',
  rule: 'Host("whoami.docker.localhost") && PathPrefix("/")',
  host: 'whoami.docker.localhost',
  path: { matcher: 'PathPrefix', path: '/' },
  priority: 0,
  service: 'default-whoami-80',
};
const SERVERS = [
  { ip: ip('10.42.0.18'), port: 80 },
  { ip: ip('10.42.0.19'), port: 80 },
];

test("whoami behind traefik prints the request as Traefik's docs show it: X-Forwarded-*, X-Real-Ip, gzip", () => {
  const { get } = setup([WHOAMI], SERVERS);
  const r = get('whoami.docker.localhost');
  assert.equal(r.head?.status, 200);
  const text = latin1(r.body);
  // the whoami page of docs/content/expose/kubernetes/basic.md, with this LAN's addresses and names
  const request = text.slice(text.indexOf('GET '));
  assert.equal(
    request,
    [
      'GET / HTTP/1.1',
      'Host: whoami.docker.localhost',
      'User-Agent: curl/7.68.0',
      'Accept: */*',
      'Accept-Encoding: gzip',
      'X-Forwarded-For: 10.42.0.1',
      'X-Forwarded-Host: whoami.docker.localhost',
      'X-Forwarded-Port: 80',
      'X-Forwarded-Proto: http',
      'X-Forwarded-Server: traefik-76cbd5b89c-rx5xn',
      'X-Real-Ip: 10.42.0.1',
      '',
      '',
    ].join('\r\n'),
  );
  // the server sees traefik's address, not the client's: traefik opened its own connection
  assert.match(text, /^RemoteAddr: 10\.42\.0\.17:\d+$/m);
  // the response as Go writes a proxied one: the server's fields, Date among them, sorted by name, then
  // Connection (this client asked for close)
  assert.deepEqual(
    r.head.fields.map((f) => f.name),
    ['Content-Length', 'Content-Type', 'Date', 'Connection'],
  );
});

test('round-robin: two servers take requests in turn, straight to their pod IPs', () => {
  const { get } = setup([WHOAMI], SERVERS);
  const seen = [0, 1, 2, 3].map(
    (): string => /^Hostname: (.*)$/m.exec(latin1(get('whoami.docker.localhost').body))![1]!,
  );
  assert.deepEqual(seen, ['whoami-a', 'whoami-b', 'whoami-a', 'whoami-b']);
});

test('no router matches: 404 "404 page not found" as Go\'s http.NotFound writes it', () => {
  const { get } = setup([WHOAMI], SERVERS);
  const r = get('other.example');
  assert.equal(r.head?.status, 404);
  assert.equal(latin1(r.body), '404 page not found\n');
  assert.deepEqual(
    r.head.fields.map((f) => `${f.name}: ${f.name === 'Date' ? '*' : f.value}`),
    [
      'Content-Type: text/plain; charset=utf-8',
      'X-Content-Type-Options: nosniff',
      'Date: *',
      'Content-Length: 19',
      'Connection: close',
    ],
  );
});

test('a service without servers is skipped: its router is gone and the request is a 404', () => {
  const { get } = setup([WHOAMI], []);
  assert.equal(get('whoami.docker.localhost').head?.status, 404);
});

test('a server that refuses: 502 "Bad Gateway" (ErrorHandler: the status text, no newline)', () => {
  const { get } = setup([WHOAMI], [{ ip: ip('10.42.0.18'), port: 81 }]);
  const r = get('whoami.docker.localhost');
  assert.equal(r.head?.status, 502);
  assert.equal(latin1(r.body), 'Bad Gateway');
});

test("an untrusted client's X-Forwarded-* and X-Real-Ip are dropped; its address is the one appended", () => {
  const { get } = setup([WHOAMI], SERVERS);
  const r = get('whoami.docker.localhost:8000', '/a?b=c', [
    ['X-Forwarded-For', '203.0.113.9'],
    ['X-Real-IP', '203.0.113.9'],
    ['X-Forwarded-Proto', 'https'],
    ['Connection', 'close, X-Custom'],
    ['X-Custom', 'hop'],
  ]);
  const text = latin1(r.body);
  assert.match(text, /^GET \/a\?b=c HTTP\/1\.1\r$/m);
  assert.match(text, /^X-Forwarded-For: 10\.42\.0\.1\r$/m);
  assert.match(text, /^X-Real-Ip: 10\.42\.0\.1\r$/m);
  assert.match(text, /^X-Forwarded-Proto: http\r$/m);
  // X-Forwarded-Port comes from the Host field's port
  assert.match(text, /^X-Forwarded-Port: 8000\r$/m);
  assert.doesNotMatch(text, /X-Custom|203\.0\.113\.9/, 'Connection-listed fields are hop-by-hop');
});

test('/ping on 9000 answers OK (the chart probes it); 8443 refuses: TLS is not emulated', () => {
  const { l, traefik } = setup([WHOAMI], SERVERS);
  assert.deepEqual(
    traefik.listening.map((x) => x.port),
    [8000, 9000, 9100],
  );
  let ping: HttpExchangeResult | undefined;
  let tls: HttpExchangeResult | undefined;
  l.client.request(ip('10.42.0.17'), 9000, { target: '/ping' }, (x) => (ping = x));
  l.client.request(ip('10.42.0.17'), 8443, {}, (x) => (tls = x));
  l.engine.runUntilIdle(l.engine.now + 10 * SECOND);
  assert.equal(latin1(ping!.body), 'OK');
  assert.equal(tls!.failure?.kind, 'refused');
});

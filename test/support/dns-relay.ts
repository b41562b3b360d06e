/**
 * A real DNS server whose answers come from an emulated cluster: run inside a network namespace as
 * `node dns-relay.js CLUSTER.yaml POD ADDR READY_FILE CASE_FILE`, it builds the cluster (up a minute, as `podnet exec`
 * sees it), then answers each query that reaches ADDR:53 over UDP or TCP by sending the same bytes from
 * POD to the cluster DNS address 10.43.0.10 over the emulated network (kube-proxy's DNAT, CoreDNS's
 * plugins) and handing back the emulated answer's bytes. A real resolver in the namespace (nslookup, dig)
 * then sees what the same resolver inside the pod would see. It writes READY_FILE once listening. When
 * CASE_FILE's text has changed since the last query, a new command line has started: the cluster first runs
 * CASE_GAP of simulated time, as the test's own copy does between command lines, so both copies' CoreDNS
 * caches have emptied (CoreDNS answers from its cache with AA set). Each UDP query is logged to
 * CASE_FILE.queries as `SOURCE_PORT NAME TYPE`.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { loadCluster } from '../../src/scenario/manifests.js';
import { buildCluster, bringUp } from '../../src/cluster/runtime.js';
import { clusterMachine } from '../../src/scenario/cluster-shell.js';
import { SECOND } from '../../src/sim/engine.js';
import { parseIpv4 } from '../../src/wire/addr.js';
import { peekDnsQuestion } from '../../src/wire/dns.js';

const CLUSTER_DNS = parseIpv4('10.43.0.10')!;
/** Simulated time between two command lines: longer than CoreDNS's `cache 30`. */
export const CASE_GAP = 31 * SECOND;

async function main(): Promise<void> {
  const [file, podName, addr, ready, caseFile] = process.argv.slice(2);
  if (
    file === undefined ||
    podName === undefined ||
    addr === undefined ||
    ready === undefined ||
    caseFile === undefined
  )
    throw new Error('usage: dns-relay CLUSTER.yaml POD ADDR READY_FILE CASE_FILE');
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  if (!loaded.ok) throw new Error(`${file}: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const c = await buildCluster(loaded.cluster.plan);
  bringUp(c);
  const pod = clusterMachine(c, podName);
  if (pod === undefined) throw new Error(`no pod ${podName}`);
  /** The emulated answer to `query` (undefined: none within 10 s of simulated time). */
  let lastCase = '';
  const ask = (query: Uint8Array): Uint8Array | undefined => {
    const thisCase = existsSync(caseFile) ? readFileSync(caseFile, 'utf8') : '';
    if (thisCase !== lastCase) {
      lastCase = thisCase;
      c.engine.runFor(CASE_GAP);
    }
    let answer: Uint8Array | undefined;
    const port = pod.udp.bind(0, (d) => (answer ??= d.payload.slice()));
    pod.udp.send(port, CLUSTER_DNS, 53, query);
    for (let i = 0; i < 100 && answer === undefined; i++) c.engine.runFor(SECOND / 10);
    pod.udp.unbind(port);
    return answer;
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    // what was asked, from which port: CASE_FILE.queries, one line per query
    const q = peekDnsQuestion(new Uint8Array(msg));
    appendFileSync(`${caseFile}.queries`, `${rinfo.port} ${q?.name ?? '?'} ${q?.type ?? '?'}\n`);
    const answer = ask(new Uint8Array(msg));
    if (answer !== undefined) udp.send(answer, rinfo.port, rinfo.address);
  });
  const tcp = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const answer = ask(new Uint8Array(buf.subarray(2, 2 + len)));
        buf = buf.subarray(2 + len);
        if (answer !== undefined) {
          const framed = Buffer.alloc(2 + answer.length);
          framed.writeUInt16BE(answer.length, 0);
          framed.set(answer, 2);
          sock.write(framed);
        }
      }
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve) => udp.bind(53, addr, resolve));
  await new Promise<void>((resolve) => tcp.listen(53, addr, resolve));
  writeFileSync(ready, '');
}

// run as a program only (the test imports CASE_GAP)
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main().catch((e: unknown) => {
    process.stderr.write(`dns-relay: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });

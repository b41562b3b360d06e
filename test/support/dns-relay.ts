/**
 * A real DNS server whose answers come from an emulated cluster: run inside a network namespace as
 * `node dns-relay.js CLUSTER.yaml POD ADDR READY_FILE`, it builds the cluster (up a minute, as `podnet exec`
 * sees it), then answers each query that reaches ADDR:53 over UDP or TCP by sending the same bytes from
 * POD to the cluster DNS address 10.43.0.10 over the emulated network (kube-proxy's DNAT, CoreDNS's
 * plugins) and handing back the emulated answer's bytes. A real resolver in the namespace (nslookup, dig)
 * then sees what the same resolver inside the pod would see. It writes READY_FILE once listening.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { loadCluster } from '../../src/scenario/manifests.js';
import { buildCluster, bringUp } from '../../src/cluster/runtime.js';
import { clusterMachine } from '../../src/scenario/cluster-shell.js';
import { SECOND } from '../../src/sim/engine.js';
import { parseIpv4 } from '../../src/wire/addr.js';

const CLUSTER_DNS = parseIpv4('10.43.0.10')!;

async function main(): Promise<void> {
  const [file, podName, addr, ready] = process.argv.slice(2);
  if (file === undefined || podName === undefined || addr === undefined || ready === undefined)
    throw new Error('usage: dns-relay CLUSTER.yaml POD ADDR READY_FILE');
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  if (!loaded.ok) throw new Error(`${file}: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const c = await buildCluster(loaded.cluster.plan);
  bringUp(c);
  const pod = clusterMachine(c, podName);
  if (pod === undefined) throw new Error(`no pod ${podName}`);
  /** The emulated answer to `query` (undefined: none within 10 s of simulated time). */
  const ask = (query: Uint8Array): Uint8Array | undefined => {
    let answer: Uint8Array | undefined;
    const port = pod.udp.bind(0, (d) => (answer ??= d.payload.slice()));
    pod.udp.send(port, CLUSTER_DNS, 53, query);
    for (let i = 0; i < 100 && answer === undefined; i++) c.engine.runFor(SECOND / 10);
    pod.udp.unbind(port);
    return answer;
  };
  const udp = dgram.createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
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

main().catch((e: unknown) => {
  process.stderr.write(`dns-relay: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

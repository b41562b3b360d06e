/**
 * Images whose behaviour podnet knows to be "nothing on the network" (busybox and alpine run a shell or
 * sleep; nothing listens, so their declared ports refuse), and the stand-in for an image podnet does not
 * know: each declared TCP containerPort accepts connections and never answers (a process that listens and
 * says nothing), so a client sees the handshake complete and then waits. UDP ports are left unbound.
 */
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/** busybox and alpine: nothing listens. */
export const quietImage: ImageBehaviour = {
  repositories: ['busybox', 'alpine'],
  summary: 'nothing listens (a shell, sleep): declared ports refuse connections',
  start: (): RunningContainer => ({ listening: [], stop: () => {} }),
};

/** An image podnet does not know: its declared TCP ports accept and say nothing. */
export function startUnknownImage(ctx: ContainerContext): RunningContainer {
  const ports = [...new Set(ctx.ports.filter((p) => p.protocol === 'TCP').map((p) => p.containerPort))];
  const listeners = ports.map((port) =>
    ctx.tcp.listen(port, (s) => {
      // read and discard, as a server that never writes; close when the client does
      s.on('end', () => s.end());
    }),
  );
  return {
    listening: ports.map((port) => ({ protocol: 'TCP', port, serves: 'accepts, answers nothing (unknown image)' })),
    stop: () => {
      for (const l of listeners) l.close();
    },
  };
}

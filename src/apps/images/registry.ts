/**
 * The images podnet knows, by repository name (registry, tag and digest do not matter:
 * "docker.io/library/nginx:1.25", "nginx" and "nginx@sha256:..." are all nginx), and starting a
 * container with its image's behaviour. An image not listed here runs as `startUnknownImage`.
 * The README's "Known images" table lists the same images; keep the two together.
 */
import { parseImageRef } from './image-ref.js';
import { nginxImage } from './nginx.js';
import { httpdImage } from './httpd.js';
import { whoamiImage } from './whoami.js';
import { httpEchoImage } from './http-echo.js';
import { type CoreDnsCluster, coreDnsImage } from './coredns.js';
import { klipperLbImage } from './klipper-lb.js';
import { traefikImage } from './traefik.js';
import { agnhostImage } from './agnhost.js';
import type { IngressView } from './traefik-routes.js';
import { quietImage, startUnknownImage } from './silent.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/**
 * What the cluster tells images about itself: for CoreDNS, NodeHosts, its Services and pods and the
 * upstream DNS; for traefik, the Ingress routers and servers (absent: traefik answers 404 to everything).
 */
export type ImageEnvironment = CoreDnsCluster & { ingress?: IngressView };

/** Every known image behaviour, in the README's order. */
export function knownImages(env: ImageEnvironment = { nodeHosts: () => '' }): ImageBehaviour[] {
  return [
    nginxImage,
    httpdImage,
    whoamiImage,
    httpEchoImage,
    coreDnsImage(env),
    traefikImage(() => env.ingress),
    klipperLbImage,
    agnhostImage,
    quietImage,
  ];
}

/** The behaviour for an image reference, or undefined when podnet does not know the image. */
export function imageBehaviour(image: string, env?: ImageEnvironment): ImageBehaviour | undefined {
  const repo = parseImageRef(image).repository;
  return knownImages(env).find((b) => b.repositories.includes(repo));
}

/** Whether podnet knows what `image` does. */
export function isKnownImage(image: string): boolean {
  return imageBehaviour(image) !== undefined;
}

/** Starts one container: its image's behaviour, or accept-and-say-nothing on its TCP ports when unknown. */
export function startContainer(ctx: ContainerContext, env?: ImageEnvironment): RunningContainer {
  const b = imageBehaviour(ctx.image, env);
  return b === undefined ? startUnknownImage(ctx) : b.start(ctx);
}

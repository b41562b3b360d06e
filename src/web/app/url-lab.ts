/// <reference lib="dom" />
/**
 * A whole lab in the URL fragment, so a link carries it: `#lab=` then the YAML deflated (raw DEFLATE,
 * CompressionStream) and written in base64url. A link is a few hundred characters for the examples.
 */
import { base64url } from '../../wire/digest.js';

const PREFIX = 'lab=';

function fromBase64Url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** The fragment (without '#') that carries `text`. */
export async function encodeLab(text: string): Promise<string> {
  return PREFIX + base64url(await pipe(new TextEncoder().encode(text), new CompressionStream('deflate-raw')));
}

/** The lab a fragment carries, or undefined when it carries none (or a broken one). */
export async function decodeLab(fragment: string): Promise<string | undefined> {
  const f = fragment.replace(/^#/, '');
  if (!f.startsWith(PREFIX)) return undefined;
  try {
    return new TextDecoder().decode(
      await pipe(fromBase64Url(f.slice(PREFIX.length)), new DecompressionStream('deflate-raw')),
    );
  } catch {
    return undefined;
  }
}

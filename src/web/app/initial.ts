/// <reference lib="dom" />
/**
 * The file the page opens first: the lab in the URL fragment, the file `podnet ui` serves, or the demo
 * cluster from the examples shipped with the site.
 */
import { decodeLab } from './url-lab.js';

/** An example file shipped with the site. */
export interface Example {
  name: string;
  text: string;
}

/** The lab the page starts with; `served`: `podnet ui` serves a file and says when it changes. */
export interface Initial {
  file: string;
  text: string;
  served: boolean;
}

/** The lab to start with: the URL fragment's, the file `podnet ui` serves, or the demo cluster. */
export async function initialLab(list: Promise<Example[]>): Promise<Initial> {
  let served: { file: string; text: string } | undefined;
  try {
    const r = await fetch('api/file');
    if (r.ok) served = (await r.json()) as { file: string; text: string };
  } catch {
    // a static host has no api/: fall through to the demo
  }
  const fromUrl = await decodeLab(location.hash);
  if (fromUrl !== undefined) return { file: 'lab.yaml', text: fromUrl, served: served !== undefined };
  if (served !== undefined) return { ...served, served: true };
  const examples = await list;
  const demo = examples.find((e) => e.name === 'cluster-demo.yaml') ?? examples[0];
  return { file: demo?.name ?? 'lab.yaml', text: demo?.text ?? '', served: false };
}

/**
 * Browser-test helpers that drive the page the way a user does: the editor's text replaced as a paste
 * would, and a generated big cluster opened in it.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { parseWorld } from '../../src/web/core/world.js';
import type { ClusterPlan } from '../../src/cluster/plan-types.js';
import { bigClusterText } from './big-cluster.js';

/** Replaces the whole text of the page's editor (CodeMirror, exposed as `window.podnetEditor`). */
export async function setEditorText(page: Page, text: string): Promise<void> {
  await page.evaluate((t) => {
    const v = (
      window as unknown as { podnetEditor: { state: { doc: { length: number } }; dispatch(x: unknown): void } }
    ).podnetEditor;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
  }, text);
}

/**
 * Opens a generated cluster of `nodes` nodes with `podsPerNode` pods each (more than 60 pods: drawn from
 * its plan, every node folded) and waits until its last node is drawn. Returns its plan, for expected values.
 */
export async function openBigCluster(page: Page, nodes: number, podsPerNode: number): Promise<ClusterPlan> {
  const text = bigClusterText(nodes, podsPerNode);
  const parsed = parseWorld(`big-${nodes}.yaml`, text);
  assert.ok(parsed.ok && parsed.plan !== undefined);
  await setEditorText(page, text);
  await page.waitForSelector(`.box[data-node="pods@node${nodes - 1}"]`, { timeout: 60_000 });
  assert.match((await page.textContent('#status')) ?? '', new RegExp(`^cluster big-${nodes}: drawn from its plan`));
  return parsed.plan;
}

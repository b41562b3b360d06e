/// <reference lib="dom" />
/**
 * The YAML editor: CodeMirror 6 with YAML highlighting, and podnet's own validation errors underlined at
 * their line and column (@codemirror/lint diagnostics), with the message on hover and in the gutter.
 */
import { basicSetup, EditorView } from 'codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import type { LabProblem } from '../core/protocol.js';

/** Creates an editor in `parent` holding `text`; `onChange` gets the text after each edit. */
export function createEditor(parent: HTMLElement, text: string, onChange: (text: string) => void): EditorView {
  return new EditorView({
    parent,
    doc: text,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u.state.doc.toString());
      }),
    ],
  });
}

/** Replaces the whole text. */
export function setText(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Underlines `problems` (1-based line and column) from that column to the end of the word or line. */
export function showProblems(view: EditorView, problems: readonly LabProblem[]): void {
  const doc = view.state.doc;
  const diags: Diagnostic[] = problems.map((p) => {
    const line = doc.line(Math.min(Math.max(p.line, 1), doc.lines));
    const from = Math.min(line.from + Math.max(p.col - 1, 0), line.to);
    const rest = doc.sliceString(from, line.to);
    const word = /^[^\s,}\]]+/.exec(rest)?.[0].length ?? 0;
    return {
      from,
      to: Math.max(from + word, Math.min(from + 1, line.to)),
      severity: 'error',
      source: 'podnet',
      message: p.field === '' ? p.message : `${p.field}: ${p.message}`,
    };
  });
  view.dispatch(setDiagnostics(view.state, diags));
}

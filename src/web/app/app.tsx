/// <reference lib="dom" />
/**
 * The page: editor on the left; topology, timeline and inspectors on the right. State lives here; the
 * emulator runs in the worker (worker-client.ts) and every view renders what it sends back.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EditorView } from '@codemirror/view';
import type {
  BgpSessionsRow,
  CompareRow,
  DeviceTable,
  FromWorker,
  LabProblem,
  Machine,
  RunRequest,
  RunResult,
  Tool,
  TopoNode,
  Topology,
} from '../core/protocol.js';
import type { WorkerClient } from './worker-client.js';
import type { Example, Initial } from './initial.js';
import { encodeLab } from './url-lab.js';
import { TopologyView, type FramePos } from './topology-view.js';
import type { Layout } from './box-size.js';
import { clusterLayout, isClusterTopology } from './cluster-layout.js';
import { simSteps, stepLabels } from './steps.js';
import { FrameInspector } from './frame-inspector.js';
import { DeviceInspector } from './device-inspector.js';
import { CompareView } from './compare-view.js';
import { BgpChart } from './bgp-chart.js';
import { edgePcapng, save, traceJson } from './downloads.js';
import { segmentColor } from './colors.js';
import { Frozen } from './frozen.js';

type Tab = 'frame' | 'hops' | 'device' | 'output' | 'compare';

interface Opened {
  kind: 'lab' | 'cluster';
  name: string;
  topology: Topology;
  machines: Machine[];
  steps: string[];
  ms: number;
  /** Drawn from the cluster's plan: its pods' addresses are known once the worker has built it. */
  fromPlan: boolean;
  /** The text and file name it was opened from (what the worker builds for its addresses). */
  text: string;
  file: string;
}

/** The editor module, loaded after the first topology is drawn (CodeMirror is most of the page's code). */
type EditorModule = typeof import('./editor.js');

/** Lays a topology out: a cluster at once on the page, a lab with ELK (loaded the first time a lab opens). */
async function layOut(t: Topology): Promise<Layout> {
  if (isClusterTopology(t)) return clusterLayout(t);
  const { layoutTopology } = await import('./layout.js');
  return layoutTopology(t);
}

/** What main.tsx hands over: the examples, the file to open, the worker, and its answer to opening the file. */
export interface AppProps {
  examples: Example[];
  initial: Initial;
  worker: WorkerClient;
  opening: Promise<FromWorker>;
}

/** The application. */
export function App({ examples, initial, worker, opening }: AppProps) {
  const editorHost = useRef<HTMLDivElement>(null);
  const editor = useRef<EditorView | undefined>(undefined);
  const [file, setFile] = useState(initial.file);
  const [text, setTextState] = useState(initial.text);
  const [problems, setProblems] = useState<LabProblem[]>([]);
  const [opened, setOpened] = useState<Opened | undefined>(undefined);
  const [layout, setLayout] = useState<Layout | undefined>(undefined);
  // folded nodes shown open, and the built cluster's boxes (pods' addresses), asked for the first time one opens
  const [unfolded, setUnfolded] = useState<ReadonlySet<string>>(new Set());
  const [built, setBuilt] = useState<ReadonlyMap<string, TopoNode> | undefined>(undefined);
  const boxesAsked = useRef<Opened | undefined>(undefined);
  const [boxesFailed, setBoxesFailed] = useState(false);
  const openedNow = useRef<Opened | undefined>(undefined);
  const [status, setStatus] = useState('loading…');
  const [run, setRun] = useState<RunResult | undefined>(undefined);
  const [step, setStep] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [tab, setTab] = useState<Tab>('frame');
  const [device, setDevice] = useState<string | undefined>(undefined);
  const [tables, setTables] = useState<DeviceTable[] | undefined>(undefined);
  const [compare, setCompare] = useState<CompareRow[] | { error: string } | 'running' | undefined>(undefined);
  const [bgp, setBgp] = useState<BgpSessionsRow[] | { error: string } | undefined>(undefined);
  const bgpAsked = useRef(false);
  // the BGP chart does not depend on the file: asked for once, when the Compare tab is first opened
  useEffect(() => {
    if (tab !== 'compare' || bgpAsked.current) return;
    bgpAsked.current = true;
    void worker
      .ask({ type: 'bgp-sessions' })
      .then((r) => setBgp(r.type === 'bgp-sessions' ? r.rows : { error: r.type === 'error' ? r.message : '?' }));
  }, [tab]);
  const [tool, setTool] = useState<Tool>('ping');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const lastRun = useRef<RunRequest | undefined>(undefined);

  const editorModule = useRef<EditorModule | undefined>(undefined);
  const [editorReady, setEditorReady] = useState(false);
  const problemsRef = useRef<LabProblem[]>([]);
  // CodeMirror after the first topology is drawn (or the file turned out to have problems): until then
  // the text is shown as it is
  const loadEditor = (): void => {
    if (editorModule.current !== undefined || editorHost.current === null) return;
    void import('./editor.js').then((m) => {
      if (editorModule.current !== undefined || editorHost.current === null) return;
      editorModule.current = m;
      editor.current = m.createEditor(editorHost.current, text, (t) => setTextState(t));
      m.showProblems(editor.current, problemsRef.current);
      (window as unknown as { podnetEditor: EditorView }).podnetEditor = editor.current;
      setEditorReady(true);
    });
  };

  // validate and lay out after each pause in typing; keep the lab in the URL fragment
  const firstOpen = useRef(true);
  useEffect(() => {
    const early = firstOpen.current ? opening : undefined;
    const t = setTimeout(
      () => {
        void openText(text, early);
        void encodeLab(text).then((f) => history.replaceState(null, '', `#${f}`));
      },
      firstOpen.current ? 0 : 300,
    );
    firstOpen.current = false;
    return () => clearTimeout(t);
  }, [text]);

  // the first topology on screen: marked once it has been painted (the tests read the mark), then the editor
  useEffect(() => {
    if (opened === undefined || layout === undefined) return;
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (performance.getEntriesByName('podnet:first-topology').length === 0)
          performance.mark('podnet:first-topology');
        loadEditor();
      }, 0),
    );
  }, [opened, layout]);

  async function openText(t: string, early?: Promise<FromWorker>): Promise<void> {
    const t0 = performance.now();
    setStatus('validating…');
    const r = await (early ?? worker.ask({ type: 'open', text: t, file }));
    if (r.type !== 'opened') {
      setStatus(r.type === 'error' ? r.message : 'unexpected reply');
      loadEditor();
      return;
    }
    setProblems(r.problems);
    problemsRef.current = r.problems;
    if (editor.current !== undefined) editorModule.current?.showProblems(editor.current, r.problems);
    if (r.problems.length > 0) loadEditor();
    if (r.problems.length > 0 || r.topology === undefined) {
      setStatus(`${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} in the file`);
      return;
    }
    const o: Opened = {
      kind: r.kind,
      name: r.name,
      topology: r.topology,
      machines: r.machines,
      steps: r.steps,
      ms: r.ms,
      fromPlan: r.fromPlan === true,
      text: t,
      file,
    };
    const l = await layOut(r.topology);
    setLayout(l);
    setOpened(o);
    openedNow.current = o;
    setUnfolded(new Set());
    setBuilt(undefined);
    setBoxesFailed(false);
    const how = r.fromPlan === true ? 'drawn from its plan (built when something runs)' : 'built';
    setStatus(
      `${o.kind} ${o.name}: ${how} in ${r.ms.toFixed(0)} ms, shown in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    pickDefaults(o.machines);
  }

  function pickDefaults(ms: Machine[]): void {
    const names = ms.map((m) => m.name);
    if (names.includes(from) && names.includes(to)) return;
    const src = ms.find((m) => m.name.endsWith('/client')) ?? ms.find((m) => m.kind === 'pod') ?? ms[0];
    const dst =
      ms.find(
        (m) =>
          m.kind === 'pod' &&
          src?.node !== undefined &&
          m.node !== undefined &&
          m.node !== src.node &&
          m.name.includes('web'),
      ) ??
      ms.find((m) => m !== src && m.kind === src?.kind) ??
      ms.find((m) => m !== src);
    setFrom(src?.name ?? '');
    setTo(dst?.name ?? '');
  }

  /**
   * Opens or folds a folded node (`open` undefined: whichever it is not); the first time one opens, a
   * cluster drawn from its plan is built for its addresses.
   */
  function openNode(node: string, open?: boolean): void {
    setUnfolded((s) => {
      if (open === s.has(node)) return s;
      const next = new Set(s);
      if (!next.delete(node)) next.add(node);
      return next;
    });
    if (open !== false) askBoxes();
  }

  /** Asks the worker, once per file, for the built cluster's boxes: its pods' addresses (a few seconds). */
  function askBoxes(): void {
    const o = openedNow.current;
    if (o === undefined || !o.fromPlan || boxesAsked.current === o) return;
    boxesAsked.current = o;
    // the text this drawing came from, not the editor's now (typing may have moved on within the debounce)
    void worker.ask({ type: 'boxes', text: o.text, file: o.file }).then((r) => {
      // the file may have changed meanwhile: those boxes are another cluster's
      if (openedNow.current !== o) return;
      if (r.type === 'boxes') setBuilt(new Map(r.boxes.map((b) => [b.id, b])));
      else {
        setBoxesFailed(true);
        setStatus(`the pods' addresses: ${r.type === 'error' ? r.message : 'unexpected reply'}`);
      }
    });
  }

  async function doRun(req: RunRequest): Promise<void> {
    setStatus(req.mode === 'steps' ? 'running the steps…' : `running ${req.tool}…`);
    setPlaying(false);
    const r: FromWorker = await worker.ask({ type: 'run', text, file, run: req });
    if (r.type !== 'ran') {
      setStatus(r.type === 'error' ? `run failed: ${r.message}` : 'unexpected reply');
      return;
    }
    lastRun.current = req;
    setRun(r.result);
    setStep(0);
    setTables(undefined);
    const failed = r.result.steps.filter((s) => !s.ok).length;
    setStatus(
      `${r.result.title}: ${r.result.events.filter((e) => e.kind === 'frame').length} frames${failed > 0 ? `, ${failed} failed` : ''}`,
    );
  }

  const steps = useMemo(() => (run === undefined ? [] : simSteps(run.events)), [run]);
  const cur = steps[step];
  const ev = cur === undefined || run === undefined ? undefined : run.events[cur.event];
  const frameEv = ev?.kind === 'frame' ? ev : undefined;
  // a folded pod's device -> its node, to draw it on its own box while its node is open
  const podNode = useMemo(() => {
    const m = new Map<string, string>();
    for (const n of opened?.topology.nodes ?? [])
      if (n.kind === 'pods' && n.parent !== undefined) for (const pod of n.members ?? []) m.set(pod.id, n.parent);
    return m;
  }, [opened]);
  const shownOpen = (device: string | undefined): boolean => {
    const node = device === undefined ? undefined : podNode.get(device);
    return node !== undefined && unfolded.has(node);
  };
  // a device -> the box it is drawn in (the worker's one map, read back from the run's frames)
  const deviceBox = useMemo(() => {
    const m = new Map<string, string>();
    for (const e of run?.events ?? [])
      if (e.kind === 'frame' && e.boxes !== undefined && e.to !== undefined)
        m.set(e.device, e.boxes[0]).set(e.to, e.boxes[1]);
    return m;
  }, [run]);
  const boxOf = useMemo(
    () => (d: string) => (shownOpen(d) ? d : (deviceBox.get(d) ?? d)),
    [deviceBox, podNode, unfolded],
  );
  const labels = useMemo(() => stepLabels(cur, boxOf, ev), [cur, boxOf, ev]);
  const pos: FramePos | undefined =
    frameEv?.boxes === undefined
      ? undefined
      : {
          from: boxOf(frameEv.device),
          to: boxOf(frameEv.to!),
          color:
            frameEv.frame.vni !== undefined
              ? segmentColor(frameEv.frame.vni)
              : frameEv.frame.vlan !== undefined
                ? segmentColor(frameEv.frame.vlan)
                : '#f03e3e',
        };
  const timeOf = (ns: number): string => `${((ns - (run?.start ?? 0)) / 1000).toFixed(3)} µs`;

  // keyboard: arrows step (outside the editor), space plays
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if ((e.target as HTMLElement | null)?.closest('.cm-editor, input, select, textarea') != null) return;
      if (e.key === 'ArrowRight') setStep((s) => Math.min(s + 1, Math.max(steps.length - 1, 0)));
      else if (e.key === 'ArrowLeft') setStep((s) => Math.max(s - 1, 0));
      else if (e.key === ' ') setPlaying((p) => !p);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [steps.length]);

  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => {
      setStep((s) => {
        if (s + 1 >= steps.length) {
          setPlaying(false);
          return s;
        }
        return s + 1;
      });
    }, 600);
    return () => clearInterval(t);
  }, [playing, steps.length]);

  // the device inspector re-runs the scenario to the current instant (in steps mode too)
  useEffect(() => {
    if (tab !== 'device' || device === undefined || lastRun.current === undefined || ev === undefined) return;
    setTables(undefined);
    let live = true;
    // the step the instant is in: the last one that had started by its event
    const inStep = run?.steps.reduce((n, s, i) => (cur !== undefined && s.firstEvent <= cur.event ? i : n), 0) ?? 0;
    void worker
      .ask({ type: 'tables', text, file, run: lastRun.current, device, time: ev.time, step: inStep })
      .then((r) => {
        if (live)
          setTables(r.type === 'tables' ? r.tables : [{ title: 'error', text: r.type === 'error' ? r.message : '?' }]);
      });
    return () => {
      live = false;
    };
  }, [tab, device, ev?.time, run]);

  function loadExample(name: string): void {
    const ex = examples.find((e) => e.name === name);
    if (ex === undefined || editor.current === undefined) return;
    setFile(ex.name);
    setRun(undefined);
    setDevice(undefined);
    setCompare(undefined);
    editorModule.current?.setText(editor.current, ex.text);
  }

  useEffect(() => {
    // `podnet ui FILE` tells the page when FILE changes on disk
    if (!initial.served) return;
    const es = new EventSource('api/events');
    es.onmessage = (m: MessageEvent<string>) => {
      const d = JSON.parse(m.data) as { file: string; text: string };
      if (editor.current !== undefined && d.text !== editor.current.state.doc.toString()) {
        setFile(d.file);
        editorModule.current?.setText(editor.current, d.text);
      }
    };
    return () => es.close();
  }, []);

  // thousands of machines in a big cluster: drawn once per file, not on every step
  const machineOptions = (
    <Frozen
      of={opened}
      draw={() =>
        opened?.machines.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
          </option>
        ))
      }
    />
  );
  const machineList = (
    <Frozen of={opened} draw={() => opened?.machines.map((m) => <option key={m.name} value={m.name} />)} />
  );
  return (
    <div class="app">
      <header>
        <strong>podnet</strong>
        <select aria-label="examples" value="" onChange={(e) => loadExample(e.currentTarget.value)}>
          <option value="">Examples…</option>
          {examples.map((e) => (
            <option key={e.name} value={e.name}>
              {e.name}
            </option>
          ))}
        </select>
        <span class="file">{file}</span>
        <span class="run-panel">
          <select aria-label="tool" value={tool} onChange={(e) => setTool(e.currentTarget.value as Tool)}>
            {(['ping', 'traceroute', 'curl', 'dig'] as const).map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          <select aria-label="from" value={from} onChange={(e) => setFrom(e.currentTarget.value)}>
            {machineOptions}
          </select>
          →
          <input aria-label="to" list="machines" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <datalist id="machines">{machineList}</datalist>
          <button
            id="run"
            disabled={opened === undefined || problems.length > 0}
            onClick={() => void doRun({ mode: 'action', tool, from, to })}
          >
            Run
          </button>
          <button
            id="run-steps"
            disabled={opened === undefined || problems.length > 0 || opened.steps.length === 0}
            onClick={() => void doRun({ mode: 'steps' })}
          >
            Run steps{opened !== undefined && opened.steps.length > 0 ? ` (${opened.steps.length})` : ''}
          </button>
        </span>
        <span class="downloads">
          <button
            disabled={run === undefined}
            onClick={() => run !== undefined && save('podnet-run.pcapng', run.pcapng, 'application/octet-stream')}
          >
            pcapng
          </button>
          <button
            disabled={frameEv?.edge === undefined}
            onClick={() =>
              run !== undefined &&
              frameEv?.edge !== undefined &&
              save(
                `${frameEv.edge.replace(/[^A-Za-z0-9_.-]/g, '_')}.pcapng`,
                edgePcapng(run, frameEv.edge),
                'application/octet-stream',
              )
            }
          >
            link pcapng
          </button>
          <button
            disabled={run === undefined}
            onClick={() => run !== undefined && save('podnet-trace.json', traceJson(run), 'application/json')}
          >
            trace JSON
          </button>
        </span>
      </header>
      <main>
        <section class="left">
          <div class="editor" ref={editorHost}>
            {!editorReady && <pre class="editor-plain">{text}</pre>}
          </div>
          <div class={`status${problems.length > 0 ? ' bad' : ''}`} id="status">
            {status}
          </div>
        </section>
        <section class="right">
          {opened !== undefined && layout !== undefined ? (
            <TopologyView
              topology={opened.topology}
              layout={layout}
              labels={labels}
              current={pos}
              selected={device}
              onSelect={(id) => {
                setDevice(id);
                setTab('device');
              }}
              unfolded={unfolded}
              onToggle={openNode}
              built={built}
              onNeedAddresses={askBoxes}
              addressesFailed={boxesFailed}
            />
          ) : (
            <div class="topology empty">{problems.length > 0 ? 'Fix the file to see its topology.' : 'building…'}</div>
          )}
          <div class="timeline">
            <button aria-label="step back" onClick={() => setStep((s) => Math.max(s - 1, 0))}>
              ◀
            </button>
            <button aria-label={playing ? 'pause' : 'play'} onClick={() => setPlaying(!playing)}>
              {playing ? '❚❚' : '▶'}
            </button>
            <button
              aria-label="step forward"
              onClick={() => setStep((s) => Math.min(s + 1, Math.max(steps.length - 1, 0)))}
            >
              ▶|
            </button>
            <input
              type="range"
              aria-label="scrub"
              min={0}
              max={Math.max(steps.length - 1, 0)}
              value={step}
              onInput={(e) => setStep(Number(e.currentTarget.value))}
            />
            <span class="where" id="where">
              {cur === undefined
                ? 'no run yet'
                : `${step + 1}/${steps.length} · ${ev !== undefined ? timeOf(ev.time) : ''} · ${frameEv !== undefined ? `${frameEv.device} ${frameEv.outPort} → ${frameEv.to ?? '?'}: ${frameEv.frame.protocol}${frameEv.frame.vni !== undefined ? ` VNI ${frameEv.frame.vni}` : ''} ${frameEv.frame.inner?.protocol ?? ''}` : 'decisions'}`}
            </span>
          </div>
          <div class="decisions" id="decisions">
            {cur?.decisions.slice(-4).map((d, i) => (
              <div key={i} class={d.kind === 'drop' ? 'drop' : ''} title={d.text}>
                <b>{d.device}</b>: {d.text}
              </div>
            ))}
          </div>
          <nav class="tabs">
            {(['frame', 'hops', 'device', 'output', 'compare'] as const).map((t) => (
              <button key={t} class={tab === t ? 'on' : ''} data-tab={t} onClick={() => setTab(t)}>
                {t === 'frame'
                  ? 'Frame'
                  : t === 'hops'
                    ? 'Hop table'
                    : t === 'device'
                      ? 'Device'
                      : t === 'output'
                        ? 'Output'
                        : 'Compare'}
              </button>
            ))}
          </nav>
          <div class="panel">
            {tab === 'frame' && (
              <FrameInspector
                bytes={frameEv?.bytes}
                title={
                  frameEv === undefined
                    ? ''
                    : `Frame ${step + 1}: ${frameEv.bytes?.length ?? 0} bytes on ${frameEv.device}:${frameEv.outPort} → ${frameEv.to ?? '?'} at ${timeOf(frameEv.time)}`
                }
              />
            )}
            {tab === 'hops' && <pre class="hop-table">{run?.hopTable ?? 'Run something first.'}</pre>}
            {tab === 'device' && (
              <DeviceInspector
                device={device}
                at={ev === undefined ? 'the start' : timeOf(ev.time)}
                tables={device === undefined ? undefined : tables}
                ran={run !== undefined}
              />
            )}
            {tab === 'output' && (
              <div class="output">
                {run?.steps.map((s) => (
                  <div key={s.name} class={s.ok ? 'pass' : 'fail'}>
                    <div>
                      <b>{s.ok ? 'PASS' : 'FAIL'}</b> {s.name}{' '}
                      <a
                        href="#"
                        onClick={(e) => {
                          e.preventDefault();
                          setStep(
                            Math.max(
                              0,
                              steps.findIndex((x) => x.event >= s.firstEvent),
                            ),
                          );
                        }}
                      >
                        go
                      </a>
                    </div>
                    <pre>
                      {[s.output, ...s.failures.map((f) => `expected: ${f}`)].filter((x) => x !== '').join('\n')}
                    </pre>
                  </div>
                )) ?? 'Run something first.'}
              </div>
            )}
            {tab === 'compare' && (
              <div>
                <button
                  disabled={opened?.kind !== 'cluster' || compare === 'running'}
                  onClick={() => {
                    setCompare('running');
                    void worker
                      .ask({ type: 'compare', text, file })
                      .then((r) =>
                        setCompare(r.type === 'compared' ? r.rows : { error: r.type === 'error' ? r.message : '?' }),
                      );
                  }}
                >
                  Compare Flannel backends
                </button>
                {compare === 'running' ? (
                  <span class="muted"> building the cluster three times…</span>
                ) : compare === undefined ? null : 'error' in compare ? (
                  <span class="bad"> {compare.error}</span>
                ) : (
                  <CompareView rows={compare} />
                )}
                <h4 id="bgp-heading">BGP sessions against node count (Calico)</h4>
                {bgp === undefined ? (
                  <span class="muted">computing, and running the 10-node clusters…</span>
                ) : 'error' in bgp ? (
                  <span class="bad">{bgp.error}</span>
                ) : (
                  <BgpChart rows={bgp} />
                )}
              </div>
            )}
          </div>
        </section>
      </main>
    </div>
  );
}

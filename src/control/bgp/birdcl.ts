/**
 * The `birdcl` command on a node, over the views of views.ts: `birdcl -s SOCKET show protocols` and
 * `show route`, with BIRD's keyword abbreviations (`sh pro`, as the client's command table allows) and the
 * client's own errors (client/client.c, client/commands.c: "No such command. Press `?' for help.", "Unable to
 * connect to server control socket (PATH): No such file or directory"). Other BIRD commands exist but are not
 * emulated; they say so. Wiring it into a node's shell is the cluster's business.
 */
import { BIRDCL_BANNER, birdShowProtocols, birdShowRoute, type BirdDialect } from './views.js';
import type { BirdBgpProtocol, BirdClock, BirdOtherProtocol, BirdRoute } from './views.js';

/** The state one node's BIRD shows. */
export interface BirdclState {
  dialect: BirdDialect;
  /** The control socket BIRD listens on (Calico's: /var/run/calico/bird.ctl). */
  socket: string;
  bgp: readonly BirdBgpProtocol[];
  others: readonly BirdOtherProtocol[];
  routes: readonly BirdRoute[];
  clock: BirdClock;
}

/** What the command printed, and its exit status. */
export interface BirdclResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Calico's socket (calicoctl node status dials it first). */
export const CALICO_BIRD_SOCKET = '/var/run/calico/bird.ctl';
/** birdcl's default socket when no -s is given (PATH_CONTROL_SOCKET with Debian's /run, and BIRD 1.6's /var/run). */
const DEFAULT_SOCKET: Readonly<Record<BirdDialect, string>> = {
  bird2: '/run/bird/bird.ctl',
  'calico-bird': '/var/run/bird.ctl',
};

/** BIRD's `show` subcommands (conf/ and nest/config.Y), for abbreviations to be unique among. */
const SHOW_WORDS = ['status', 'memory', 'protocols', 'interfaces', 'ospf', 'static', 'symbols', 'route', 'roa', 'bfd'];

/** Runs `birdcl ARGS...` against `state`. */
export function birdcl(args: readonly string[], state: BirdclState): BirdclResult {
  let socket = DEFAULT_SOCKET[state.dialect];
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-s') socket = args[++i] ?? '';
    else words.push(args[i]!);
  }
  if (socket !== state.socket) {
    const stderr = `Unable to connect to server control socket (${socket}): No such file or directory\n`;
    return { status: 1, stdout: '', stderr };
  }
  const banner = BIRDCL_BANNER[state.dialect] + '\n';
  const cmd = words.flatMap((w) => w.split(/\s+/)).filter((w) => w !== '');
  const ok = (text: string): BirdclResult => ({ status: 0, stdout: banner + text, stderr: '' });
  const head = cmd[0];
  if (head === undefined) return ok('');
  const isShow = 'show'.startsWith(head);
  const sub = isShow ? matches(cmd[1], SHOW_WORDS) : [];
  const all = cmd.length === 3 && 'all'.startsWith(cmd[2]!);
  if (sub.length === 1 && sub[0] === 'protocols' && cmd.length === 2) {
    return ok(birdShowProtocols(state.bgp, state.others, state.clock, state.dialect));
  }
  if (sub.length === 1 && sub[0] === 'route' && (cmd.length === 2 || all)) {
    return ok(birdShowRoute(state.routes, state.clock, state.dialect, { all }));
  }
  // the client checks words against its command table before sending anything (client/commands.c)
  if ((isShow && cmd[1] !== undefined && sub.length === 0) || (!isShow && matches(head, TOP_WORDS).length === 0)) {
    return { status: 1, stdout: banner + "No such command. Press `?' for help.\n", stderr: '' };
  }
  return {
    status: 1,
    stdout: banner,
    stderr: `birdcl: podnet emulates "show protocols" and "show route [all]" only, not "${cmd.join(' ')}"\n`,
  };
}

/** BIRD's other top-level commands (client/commands.c via the config grammar): real, but not emulated here. */
const TOP_WORDS = ['dump', 'echo', 'disable', 'enable', 'restart', 'reload', 'debug', 'configure', 'down', 'eval'];

/** The words of `choices` that `word` abbreviates. */
function matches(word: string | undefined, choices: readonly string[]): string[] {
  if (word === undefined) return [];
  return choices.filter((c) => c.startsWith(word));
}

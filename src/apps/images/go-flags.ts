/**
 * Command-line flags as Go's flag package reads them: "-name=value", "--name=value", "-name value", and
 * a boolean "-name"; parsing stops at the first non-flag or at "--". whoami and http-echo are Go programs
 * whose containers are configured this way.
 */

/** The flags of `args` by name (last one wins, as flag.Parse sets them in order), and what follows them. */
export function parseGoFlags(
  args: readonly string[],
  booleans: readonly string[] = [],
): {
  flags: Map<string, string>;
  rest: string[];
} {
  const flags = new Map<string, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) flags.set(body.slice(0, eq), body.slice(eq + 1));
    else if (booleans.includes(body)) flags.set(body, 'true');
    else if (i + 1 < args.length) flags.set(body, args[++i]!);
    else flags.set(body, '');
  }
  return { flags, rest: args.slice(i) };
}

/** The port of a Go listen address (":5678", "0.0.0.0:8080", "8080"), or undefined. */
export function listenPort(addr: string): number | undefined {
  const m = /(?:^|:)(\d{1,5})$/.exec(addr);
  const port = m === null ? NaN : Number(m[1]);
  return port >= 1 && port <= 65535 ? port : undefined;
}

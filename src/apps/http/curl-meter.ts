/**
 * curl 7.88's progress meter (lib/progress.c) and its --write-out variables, computed from simulated
 * time. The meter is what curl prints to stderr when the body does not go to the terminal (-o) and -s is
 * not given: a two-line header and one line redrawn with "\r" at most once per wall-clock second, plus a
 * forced last update and a newline when the transfer is done. Wall-clock seconds are counted from the
 * simulated epoch (HTTP_EPOCH_MS plus engine time), so the redraws fall where they would on a clock that
 * started at that instant; speeds use curl's own integer arithmetic (trspeed, the 6-slot speeder ring).
 */

/** A wall-clock instant as curl's struct curltime: whole seconds and microseconds. */
interface CurlTime {
  sec: number;
  usec: number;
}

/** lib/progress.c CURR_TIME: slots of the "current speed" ring (5 seconds + 1). */
const CURR_TIME = 6;

/** Transfer counters the meter reads. */
export interface MeterCounts {
  /** Body bytes received. */
  dl: number;
  /** Request body bytes sent. */
  ul: number;
  /** Expected body size when known (Content-Length). */
  dlSize?: number;
  /** Request body size (known whenever curl sends one; 0 for GET). */
  ulSize?: number;
}

/** curl's max5data: a byte count in at most five columns ("   17", " 9765k", "12.3M"). */
export function max5data(bytes: number): string {
  const K = 1024;
  const M = K * K;
  const G = M * K;
  const pad = (s: string, w: number): string => s.padStart(w, ' ');
  if (bytes < 100000) return pad(String(bytes), 5);
  if (bytes < 10000 * K) return `${pad(String(Math.floor(bytes / K)), 4)}k`;
  if (bytes < 100 * M) return `${pad(String(Math.floor(bytes / M)), 2)}.${Math.floor((bytes % M) / (M / 10))}M`;
  if (bytes < 10000 * M) return `${pad(String(Math.floor(bytes / M)), 4)}M`;
  if (bytes < 100 * G) return `${pad(String(Math.floor(bytes / G)), 2)}.${Math.floor((bytes % G) / (G / 10))}G`;
  return `${pad(String(Math.floor(bytes / G)), 4)}G`;
}

/** curl's time2str: "--:--:--" for zero, " 0:00:01", "  1d 02h". */
export function time2str(seconds: number): string {
  if (seconds <= 0) return '--:--:--';
  let h = Math.floor(seconds / 3600);
  if (h <= 99) {
    const m = Math.floor((seconds - h * 3600) / 60);
    const s = seconds - h * 3600 - m * 60;
    return `${String(h).padStart(2, ' ')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  }
  const d = Math.floor(seconds / 86400);
  h = Math.floor((seconds - d * 86400) / 3600);
  return d <= 999 ? `${String(d).padStart(3, ' ')}d ${String(h).padStart(2, '0')}h` : `${String(d).padStart(7, ' ')}d`;
}

/** curl's trspeed: bytes per second over `us` microseconds, integer. */
function trspeed(size: number, us: number): number {
  if (us < 1) return size * 1_000_000;
  return Math.floor((size * 1_000_000) / us);
}

/** pgrs_est_percent. */
function percent(total: number, cur: number): number {
  if (total > 10000) return Math.floor(cur / Math.floor(total / 100));
  if (total > 0) return Math.floor((cur * 100) / total);
  return 0;
}

/** The header curl prints before the first meter line. */
export const METER_HEADER =
  '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n' +
  '                                 Dload  Upload   Total   Spent    Left  Speed\n';

/** The progress meter of one transfer. */
export class CurlMeter {
  private lastShow = 0;
  private readonly speeder: number[] = new Array<number>(CURR_TIME).fill(0);
  private readonly speederTime: CurlTime[] = new Array<CurlTime>(CURR_TIME).fill({ sec: 0, usec: 0 });
  private speederC = 0;
  private current = 0;
  private headerShown = false;
  private readonly start: CurlTime;

  constructor(
    private readonly write: (text: string) => void,
    startNs: number,
    private readonly epochMs: number,
  ) {
    this.start = this.wall(startNs);
  }

  /** Curl_pgrsUpdate: recomputes, and redraws if the wall-clock second changed since the last redraw. */
  update(nowNs: number, c: MeterCounts): void {
    if (this.calc(this.wall(nowNs), c)) this.draw(this.wall(nowNs), c);
  }

  /** Curl_pgrsDone: a forced last update, then the newline. */
  done(nowNs: number, c: MeterCounts): void {
    this.lastShow = 0;
    this.update(nowNs, c);
    this.write('\n');
  }

  private wall(ns: number): CurlTime {
    const us = this.epochMs * 1000 + Math.floor(ns / 1000);
    return { sec: Math.floor(us / 1_000_000), usec: us % 1_000_000 };
  }

  private speeds(now: CurlTime, c: MeterCounts): { spentUs: number; dlSpeed: number; ulSpeed: number } {
    const spentUs = (now.sec - this.start.sec) * 1_000_000 + (now.usec - this.start.usec);
    return { spentUs, dlSpeed: trspeed(c.dl, spentUs), ulSpeed: trspeed(c.ul, spentUs) };
  }

  /** progress_calc: true when it is time to redraw. */
  private calc(now: CurlTime, c: MeterCounts): boolean {
    if (this.lastShow === now.sec) return false;
    const { dlSpeed, ulSpeed } = this.speeds(now, c);
    const nowIndex = this.speederC % CURR_TIME;
    this.lastShow = now.sec;
    this.speeder[nowIndex] = c.dl + c.ul;
    this.speederTime[nowIndex] = now;
    this.speederC++;
    const countIndex = (this.speederC >= CURR_TIME ? CURR_TIME : this.speederC) - 1;
    if (countIndex > 0) {
      const checkIndex = this.speederC >= CURR_TIME ? this.speederC % CURR_TIME : 0;
      const then = this.speederTime[checkIndex]!;
      // Curl_timediff: whole ms, the microsecond part truncated toward zero as C division does
      let spanMs = (now.sec - then.sec) * 1000 + Math.trunc((now.usec - then.usec) / 1000);
      if (spanMs === 0) spanMs = 1;
      const amount = this.speeder[nowIndex] - this.speeder[checkIndex]!;
      this.current = amount > 4294967 ? Math.floor(amount / (spanMs / 1000)) : Math.floor((amount * 1000) / spanMs);
    } else {
      this.current = ulSpeed + dlSpeed;
    }
    return true;
  }

  /** progress_meter. */
  private draw(now: CurlTime, c: MeterCounts): void {
    if (!this.headerShown) {
      this.write(METER_HEADER);
      this.headerShown = true;
    }
    const { spentUs, dlSpeed, ulSpeed } = this.speeds(now, c);
    const curSecs = Math.floor(spentUs / 1_000_000);
    const est = (total: number | undefined, cur: number, speed: number): { secs: number; pct: number } =>
      total !== undefined && speed > 0
        ? { secs: Math.floor(total / speed), pct: percent(total, cur) }
        : { secs: 0, pct: 0 };
    const ul = est(c.ulSize, c.ul, ulSpeed);
    const dl = est(c.dlSize, c.dl, dlSpeed);
    const totalSecs = Math.max(ul.secs, dl.secs);
    const timeLeft = time2str(totalSecs > 0 ? totalSecs - curSecs : 0);
    const timeTotal = time2str(totalSecs);
    const timeSpent = time2str(curSecs);
    const totalExpected = (c.ulSize ?? c.ul) + (c.dlSize ?? c.dl);
    const totalPct = percent(totalExpected, c.dl + c.ul);
    const p3 = (n: number): string => String(n).padStart(3, ' ');
    this.write(
      `\r${p3(totalPct)} ${max5data(totalExpected)}  ${p3(dl.pct)} ${max5data(c.dl)}  ${p3(ul.pct)} ${max5data(c.ul)}  ${max5data(dlSpeed)}  ${max5data(ulSpeed)} ${timeTotal} ${timeSpent} ${timeLeft} ${max5data(this.current)}`,
    );
  }
}

/**
 * The BGP finite state machine of one connection (RFC 4271 §8), as a pure table: state x event -> next
 * state and the actions to take, in order. peer.ts runs the actions (timers, the transport, the RIB); this
 * file decides nothing else, so the table can be tested row by row.
 *
 * Choices the RFC leaves open, and where podnet departs from its text:
 * - No DelayOpen, no peer oscillation damping (RFC 4271 §8.1.1 optional attributes off).
 * - A failed outgoing connect in Connect moves to Active with the ConnectRetry timer restarted (the RFC's
 *   DelayOpen branch; BIRD too waits in Active for `connect retry time` before trying again), instead of
 *   Idle: a peer that refuses is retried every ConnectRetryTime, deterministically.
 * - A NOTIFICATION received in OpenSent is not answered with an FSM-error NOTIFICATION (RFC 4271 §8.2.2
 *   lists Event 25 among "any other event"): no speaker answers a NOTIFICATION, and the connection is gone.
 * - FSM errors carry the RFC 6608 subcodes (1 OpenSent, 2 OpenConfirm, 3 Established).
 * - Every move to Idle other than a ManualStop asks for an automatic restart (RFC 4271 §8.1.1
 *   IdleHoldTimer; BIRD's `error wait time`).
 */

/** RFC 4271 §8.2.2 session states. */
export type BgpState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/**
 * The RFC 4271 §8.1 events podnet raises (RFC event numbers in brackets). `Start` is ManualStart [1] or
 * AutomaticStart [3], `StartPassive` their passive forms [4, 5]; `TcpConnectionConfirmed` stands for both
 * Tcp_CR_Acked [16] (our connect completed) and TcpConnectionConfirmed [17] (we accepted one).
 */
export type FsmEvent =
  | 'Start'
  | 'StartPassive'
  | 'ManualStop'
  | 'ConnectRetryTimerExpires'
  | 'HoldTimerExpires'
  | 'KeepaliveTimerExpires'
  | 'TcpConnectionConfirmed'
  | 'TcpConnectionFails'
  | 'BgpOpen'
  | 'BgpHeaderErr'
  | 'BgpOpenMsgErr'
  | 'OpenCollisionDump'
  | 'NotifMsgVerErr'
  | 'NotifMsg'
  | 'KeepAliveMsg'
  | 'UpdateMsg'
  | 'UpdateMsgErr';

/** Every event, for tables and tests. */
export const FSM_EVENTS: readonly FsmEvent[] = [
  'Start',
  'StartPassive',
  'ManualStop',
  'ConnectRetryTimerExpires',
  'HoldTimerExpires',
  'KeepaliveTimerExpires',
  'TcpConnectionConfirmed',
  'TcpConnectionFails',
  'BgpOpen',
  'BgpHeaderErr',
  'BgpOpenMsgErr',
  'OpenCollisionDump',
  'NotifMsgVerErr',
  'NotifMsg',
  'KeepAliveMsg',
  'UpdateMsg',
  'UpdateMsgErr',
];

/** Every state, for tables and tests. */
export const BGP_STATES: readonly BgpState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];

/** A NOTIFICATION's error code and subcode (RFC 4271 §4.5). */
export interface NotifyCode {
  readonly code: number;
  readonly subcode: number;
}

/** RFC 4271 §6.5: Hold Timer Expired (code 4). */
export const NOTIFY_HOLD_EXPIRED: NotifyCode = { code: 4, subcode: 0 };
/** RFC 6608 §3: Finite State Machine Error (code 5), unexpected message in OpenSent. */
export const NOTIFY_FSM_OPENSENT: NotifyCode = { code: 5, subcode: 1 };
/** RFC 6608 §3: unexpected message in OpenConfirm. */
export const NOTIFY_FSM_OPENCONFIRM: NotifyCode = { code: 5, subcode: 2 };
/** RFC 6608 §3: unexpected message in Established. */
export const NOTIFY_FSM_ESTABLISHED: NotifyCode = { code: 5, subcode: 3 };
/** RFC 4486 §4: Cease (code 6) / Administrative Shutdown (2), sent on ManualStop. */
export const NOTIFY_CEASE_SHUTDOWN: NotifyCode = { code: 6, subcode: 2 };
/** RFC 4486 §4: Cease / Peer De-configured (3), sent when a peer is removed. */
export const NOTIFY_CEASE_DECONFIGURED: NotifyCode = { code: 6, subcode: 3 };
/** RFC 4486 §4: Cease / Administrative Reset (4), sent when a peer is reconfigured. */
export const NOTIFY_CEASE_RESET: NotifyCode = { code: 6, subcode: 4 };
/** RFC 4486 §4: Cease / Connection Collision Resolution (7), RFC 4271 §6.8. */
export const NOTIFY_CEASE_COLLISION: NotifyCode = { code: 6, subcode: 7 };

/**
 * What the FSM asks for, run in order. `send-notification` sends `notify` from the transition, or the one
 * the event carried (a parse error's code and subcode) when the transition has none.
 */
export type FsmAction =
  | 'connect'
  | 'drop-connection'
  | 'send-open'
  | 'send-keepalive'
  | 'send-notification'
  | 'start-connect-retry'
  | 'stop-connect-retry'
  | 'hold-large'
  | 'hold-negotiated'
  | 'restart-hold'
  | 'restart-keepalive'
  | 'process-update'
  | 'established'
  | 'release'
  | 'schedule-restart';

/** One row of the table. */
export interface FsmTransition {
  readonly next: BgpState;
  readonly actions: readonly FsmAction[];
  /** The NOTIFICATION of a `send-notification` action, when the transition fixes it. */
  readonly notify?: NotifyCode;
}

const stay = (s: BgpState): FsmTransition => ({ next: s, actions: [] });
const row = (next: BgpState, actions: readonly FsmAction[], notify?: NotifyCode): FsmTransition =>
  notify === undefined ? { next, actions } : { next, actions, notify };

/** Tear down to Idle, sending `notify` first (or the event's NOTIFICATION when `notify` is 'event'). */
function toIdle(notify: NotifyCode | 'event' | 'none'): FsmTransition {
  const down: FsmAction[] = ['drop-connection', 'stop-connect-retry', 'release', 'schedule-restart'];
  if (notify === 'none') return row('Idle', down);
  return row('Idle', ['send-notification', ...down], notify === 'event' ? undefined : notify);
}

/** RFC 4271 §8.2.2 Idle: only a start leaves it; everything else is ignored. */
function idle(e: FsmEvent): FsmTransition {
  if (e === 'Start') return row('Connect', ['start-connect-retry', 'connect']);
  if (e === 'StartPassive') return row('Active', ['start-connect-retry']);
  return stay('Idle');
}

/** Connect and Active: waiting for a TCP connection (ours or the peer's). */
function waiting(s: 'Connect' | 'Active', e: FsmEvent): FsmTransition {
  switch (e) {
    case 'Start':
    case 'StartPassive':
      return stay(s);
    case 'ManualStop':
      return row('Idle', ['drop-connection', 'stop-connect-retry', 'release']);
    case 'ConnectRetryTimerExpires':
      return row('Connect', ['drop-connection', 'start-connect-retry', 'connect']);
    case 'TcpConnectionConfirmed':
      return row('OpenSent', ['stop-connect-retry', 'send-open', 'hold-large']);
    case 'TcpConnectionFails':
      return row('Active', ['drop-connection', 'start-connect-retry']);
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return toIdle('event');
    case 'NotifMsgVerErr':
    case 'HoldTimerExpires':
    case 'KeepaliveTimerExpires':
    case 'BgpOpen':
    case 'OpenCollisionDump':
    case 'NotifMsg':
    case 'KeepAliveMsg':
    case 'UpdateMsg':
    case 'UpdateMsgErr':
      return toIdle('none');
  }
}

/** OpenSent, OpenConfirm and Established. */
function open(s: 'OpenSent' | 'OpenConfirm' | 'Established', e: FsmEvent): FsmTransition {
  const fsmError =
    s === 'OpenSent' ? NOTIFY_FSM_OPENSENT : s === 'OpenConfirm' ? NOTIFY_FSM_OPENCONFIRM : NOTIFY_FSM_ESTABLISHED;
  switch (e) {
    case 'Start':
    case 'StartPassive':
    // RFC 4271 §6.8: a second connection is tracked by collision detection, not by this FSM
    // eslint-disable-next-line no-fallthrough
    case 'TcpConnectionConfirmed':
      return stay(s);
    case 'ManualStop':
      return row(
        'Idle',
        ['send-notification', 'drop-connection', 'stop-connect-retry', 'release'],
        NOTIFY_CEASE_SHUTDOWN,
      );
    case 'ConnectRetryTimerExpires':
      return toIdle(fsmError);
    case 'HoldTimerExpires':
      return toIdle(NOTIFY_HOLD_EXPIRED);
    case 'KeepaliveTimerExpires':
      return s === 'OpenSent' ? toIdle(fsmError) : row(s, ['send-keepalive', 'restart-keepalive']);
    case 'TcpConnectionFails':
      return s === 'OpenSent' ? row('Active', ['drop-connection', 'start-connect-retry']) : toIdle('none');
    case 'BgpOpen':
      return s === 'OpenSent'
        ? row('OpenConfirm', ['send-keepalive', 'hold-negotiated', 'restart-keepalive'])
        : toIdle(fsmError);
    case 'BgpHeaderErr':
    case 'BgpOpenMsgErr':
      return toIdle('event');
    case 'OpenCollisionDump':
      return toIdle(NOTIFY_CEASE_COLLISION);
    case 'NotifMsgVerErr':
    case 'NotifMsg':
      return toIdle('none');
    case 'KeepAliveMsg':
      if (s === 'OpenSent') return toIdle(fsmError);
      return s === 'OpenConfirm' ? row('Established', ['restart-hold', 'established']) : row(s, ['restart-hold']);
    case 'UpdateMsg':
      return s === 'Established' ? row(s, ['process-update', 'restart-hold']) : toIdle(fsmError);
    case 'UpdateMsgErr':
      return s === 'Established' ? toIdle('event') : toIdle(fsmError);
  }
}

/** The transition for `event` in `state` (RFC 4271 §8.2.2). */
export function fsmTransition(state: BgpState, event: FsmEvent): FsmTransition {
  switch (state) {
    case 'Idle':
      return idle(event);
    case 'Connect':
    case 'Active':
      return waiting(state, event);
    case 'OpenSent':
    case 'OpenConfirm':
    case 'Established':
      return open(state, event);
  }
}

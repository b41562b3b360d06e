import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BGP_STATES, FSM_EVENTS, type BgpState, type FsmAction, type FsmEvent, fsmTransition } from './fsm.js';

type Row = [BgpState, FsmEvent, BgpState, FsmAction[], string?];

const DOWN: FsmAction[] = ['drop-connection', 'stop-connect-retry', 'release', 'schedule-restart'];
const NOTIFY_DOWN: FsmAction[] = ['send-notification', ...DOWN];

// RFC 4271 §8.2.2, state by state (the NOTIFICATION as "code/subcode", "event" = the one the event carries)
const TABLE: Row[] = [
  // Idle: only a start leaves it
  ['Idle', 'Start', 'Connect', ['start-connect-retry', 'connect']],
  ['Idle', 'StartPassive', 'Active', ['start-connect-retry']],
  ['Idle', 'ManualStop', 'Idle', []],
  ['Idle', 'TcpConnectionConfirmed', 'Idle', []],
  ['Idle', 'BgpOpen', 'Idle', []],
  ['Idle', 'HoldTimerExpires', 'Idle', []],
  // Connect
  ['Connect', 'ConnectRetryTimerExpires', 'Connect', ['drop-connection', 'start-connect-retry', 'connect']],
  ['Connect', 'TcpConnectionConfirmed', 'OpenSent', ['stop-connect-retry', 'send-open', 'hold-large']],
  ['Connect', 'TcpConnectionFails', 'Active', ['drop-connection', 'start-connect-retry']],
  ['Connect', 'ManualStop', 'Idle', ['drop-connection', 'stop-connect-retry', 'release']],
  ['Connect', 'BgpHeaderErr', 'Idle', NOTIFY_DOWN, 'event'],
  ['Connect', 'KeepAliveMsg', 'Idle', DOWN],
  // Active
  ['Active', 'ConnectRetryTimerExpires', 'Connect', ['drop-connection', 'start-connect-retry', 'connect']],
  ['Active', 'TcpConnectionConfirmed', 'OpenSent', ['stop-connect-retry', 'send-open', 'hold-large']],
  ['Active', 'TcpConnectionFails', 'Active', ['drop-connection', 'start-connect-retry']],
  ['Active', 'UpdateMsg', 'Idle', DOWN],
  // OpenSent
  ['OpenSent', 'BgpOpen', 'OpenConfirm', ['send-keepalive', 'hold-negotiated', 'restart-keepalive']],
  ['OpenSent', 'HoldTimerExpires', 'Idle', NOTIFY_DOWN, '4/0'],
  ['OpenSent', 'TcpConnectionFails', 'Active', ['drop-connection', 'start-connect-retry']],
  ['OpenSent', 'BgpOpenMsgErr', 'Idle', NOTIFY_DOWN, 'event'],
  ['OpenSent', 'OpenCollisionDump', 'Idle', NOTIFY_DOWN, '6/7'],
  ['OpenSent', 'KeepAliveMsg', 'Idle', NOTIFY_DOWN, '5/1'],
  ['OpenSent', 'UpdateMsg', 'Idle', NOTIFY_DOWN, '5/1'],
  ['OpenSent', 'NotifMsg', 'Idle', DOWN],
  ['OpenSent', 'NotifMsgVerErr', 'Idle', DOWN],
  ['OpenSent', 'ManualStop', 'Idle', ['send-notification', 'drop-connection', 'stop-connect-retry', 'release'], '6/2'],
  ['OpenSent', 'TcpConnectionConfirmed', 'OpenSent', []],
  // OpenConfirm
  ['OpenConfirm', 'KeepAliveMsg', 'Established', ['restart-hold', 'established']],
  ['OpenConfirm', 'KeepaliveTimerExpires', 'OpenConfirm', ['send-keepalive', 'restart-keepalive']],
  ['OpenConfirm', 'HoldTimerExpires', 'Idle', NOTIFY_DOWN, '4/0'],
  ['OpenConfirm', 'UpdateMsg', 'Idle', NOTIFY_DOWN, '5/2'],
  ['OpenConfirm', 'BgpOpen', 'Idle', NOTIFY_DOWN, '5/2'],
  ['OpenConfirm', 'OpenCollisionDump', 'Idle', NOTIFY_DOWN, '6/7'],
  ['OpenConfirm', 'NotifMsg', 'Idle', DOWN],
  ['OpenConfirm', 'TcpConnectionFails', 'Idle', DOWN],
  // Established
  ['Established', 'UpdateMsg', 'Established', ['process-update', 'restart-hold']],
  ['Established', 'KeepAliveMsg', 'Established', ['restart-hold']],
  ['Established', 'KeepaliveTimerExpires', 'Established', ['send-keepalive', 'restart-keepalive']],
  ['Established', 'HoldTimerExpires', 'Idle', NOTIFY_DOWN, '4/0'],
  ['Established', 'UpdateMsgErr', 'Idle', NOTIFY_DOWN, 'event'],
  ['Established', 'BgpOpen', 'Idle', NOTIFY_DOWN, '5/3'],
  ['Established', 'OpenCollisionDump', 'Idle', NOTIFY_DOWN, '6/7'],
  ['Established', 'NotifMsg', 'Idle', DOWN],
  ['Established', 'TcpConnectionFails', 'Idle', DOWN],
  [
    'Established',
    'ManualStop',
    'Idle',
    ['send-notification', 'drop-connection', 'stop-connect-retry', 'release'],
    '6/2',
  ],
  ['Established', 'TcpConnectionConfirmed', 'Established', []],
];

for (const [state, event, next, actions, notify] of TABLE) {
  test(`FSM: ${state} + ${event} -> ${next}${notify === undefined ? '' : ` (NOTIFICATION ${notify})`}`, () => {
    const t = fsmTransition(state, event);
    assert.equal(t.next, next);
    assert.deepEqual(t.actions, actions);
    const sent = t.notify === undefined ? undefined : `${t.notify.code}/${t.notify.subcode}`;
    if (notify === 'event') assert.equal(sent, undefined, 'the NOTIFICATION comes from the event');
    else assert.equal(sent, notify);
  });
}

test('FSM: every state answers every event, and a NOTIFICATION is only sent where a connection exists', () => {
  for (const s of BGP_STATES)
    for (const e of FSM_EVENTS) {
      const t = fsmTransition(s, e);
      assert.ok(BGP_STATES.includes(t.next));
      if (s === 'Idle') assert.ok(!t.actions.includes('send-notification'));
      // whoever sends a NOTIFICATION closes the connection after it (RFC 4271 §4.5)
      if (t.actions.includes('send-notification')) assert.ok(t.actions.includes('drop-connection'), `${s} ${e}`);
      // only ManualStop leaves a session down for good
      if (t.next === 'Idle' && s !== 'Idle' && e !== 'ManualStop')
        assert.ok(t.actions.includes('schedule-restart'), `${s} ${e}`);
    }
});

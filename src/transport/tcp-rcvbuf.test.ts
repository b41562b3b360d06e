/**
 * The receive memory on its own, with numbers read off Linux 6.18 in two namespaces (`ss -tmi`: skmem r,
 * rcv_ssthresh, rcvmss, rcv_space; getsockopt TCP_WINDOW_CLAMP) and off tcpdump's windows, for the
 * passive side of a connection at MTU 1500 (advmss 1448 with timestamps, SYN-ACK window 65160) and the
 * active side at MTU 1450 (advmss 1398, SYN window 64860).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCAL_SKB_OVERHEAD, ReceiveBuffer, winFromSpace } from './tcp-rcvbuf.js';
import { ReceiveSpace } from './tcp-receive.js';

/** A passive connection's memory once established, as the kernel's after the handshake. */
function passive(): ReceiveBuffer {
  const m = new ReceiveBuffer(131072, 6291456, 1448);
  m.synchronize(65160, 7);
  m.establish(1448, 1448, 65160, 1, 0);
  return m;
}

describe('receive memory (Linux sk_rmem_alloc, scaling_ratio, window_clamp, rcv_ssthresh)', () => {
  it('keeps one segment of the buffer for the application: clamp 64088, rcv_ssthresh no more', () => {
    const m = passive();
    // tcp_init_buffer_space with tcp_app_win 31; tcp_initialize_rcv_mss; rcvq_space = 10 * advmss
    assert.deepEqual([m.windowClamp, m.ssthresh, m.rcvMss, m.space], [64088, 64088, 536, 14480]);
  });

  it("charges a local socket's segment 832 bytes over its payload (ss: r910 for 78 unread bytes)", () => {
    assert.equal(LOCAL_SKB_OVERHEAD + 78, 910);
    assert.equal(LOCAL_SKB_OVERHEAD + 1398, 2230);
    const m = passive();
    m.charge(LOCAL_SKB_OVERHEAD + 78);
    assert.equal(m.freeSpace, Math.floor((131072 - 910) / 2));
    // the free space is more than rcv_ssthresh: the offer is 64088, rounded up to the scale unit
    assert.equal(m.selectWindow(65160, 7), 64128);
  });

  it('re-measures the ratio on a first full segment and lets rcv_ssthresh grow (ss: 68056 after 1000 bytes)', () => {
    const m = passive();
    const truesize = LOCAL_SKB_OVERHEAD + 1000;
    m.charge(truesize);
    m.measureRcvMss(1000, truesize, 32, 0x18, 32, 65160);
    // 1000 * 256 / 1832 = 139; the clamp follows the buffer at that ratio; rcv_ssthresh may reach the
    // window last offered (tcp_set_window_clamp)
    assert.deepEqual([m.ratio, m.windowClamp, m.ssthresh, m.rcvMss], [139, winFromSpace(131072, 139), 65160, 1000]);
    assert.equal(m.growWindow(1000, truesize, true), true);
    assert.equal(m.ssthresh, 65160 + 2 * 1448);
  });

  it('grows by two of its own segments on the active side at MTU 1450 (ss: 67692 after 1000 bytes)', () => {
    const m = new ReceiveBuffer(131072, 6291456, 1398);
    m.synchronize(64860, 7);
    m.establish(1398, 1398, 64860, 1, 0);
    assert.deepEqual([m.windowClamp, m.ssthresh, m.space], [64138, 64138, 13980]);
    const truesize = LOCAL_SKB_OVERHEAD + 1000;
    m.charge(truesize);
    // the last offer was the SYN's 64860 rounded up to the scale unit by the first ACK
    m.measureRcvMss(1000, truesize, 32, 0x18, 32, 64896);
    m.growWindow(1000, truesize, true);
    assert.equal(m.ssthresh, 67692);
  });

  it("offers what is left while the reader sleeps, and never pulls the right edge back (Linux's windows)", () => {
    const r = new ReceiveSpace(131072, 6291456, 1448);
    r.wscale = 7;
    r.synchronize(1000, 65160);
    r.mem.establish(1448, 1448, 65160, 1, 0);
    const windows: number[] = [];
    for (let i = 0; i < 10; i++) {
      const truesize = LOCAL_SKB_OVERHEAD + 1448;
      r.take(new Uint8Array(1448), truesize);
      r.mem.measureRcvMss(1448, truesize, 32, 0x10, 32, r.rcvWnd);
      r.mem.growWindow(1448, truesize, true);
      windows.push(r.advertise());
    }
    assert.deepEqual(windows, [532, 555, 577, 600, 592, 581, 570, 559, 548, 537]);
    // reading it all frees the buffer again
    for (let i = 0; i < 10; i++) r.read(1448);
    assert.equal(r.mem.rmemAlloc, 0);
  });
});

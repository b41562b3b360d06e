/**
 * Inputs that once broke, or could plausibly break, a wire parser. corpus.test.ts replays every entry
 * through every parser and hot-path check, which must not throw. Add each shrunk fast-check
 * counterexample here, with the seed and what it broke, before fixing the bug.
 */

/** One corpus entry: a name for test output, why it is here, and the bytes. */
export interface CorpusEntry {
  readonly name: string;
  readonly note: string;
  readonly bytes: Uint8Array;
}

function h(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** The replayed inputs. */
export const WIRE_CORPUS: readonly CorpusEntry[] = [
  { name: 'empty', note: 'every parser sees zero bytes', bytes: new Uint8Array(0) },
  { name: 'one byte', note: 'shorter than any header', bytes: h('45') },
  {
    name: 'ipv4 ihl 15, short buffer',
    note: 'IHL promises 60 bytes, 40 present: reading options must not run off the end',
    bytes: h('4f 00 00 3c' + '00'.repeat(36)),
  },
  {
    name: 'ipv4 total < ihl*4',
    note: 'total length 20 under a 24-byte header',
    bytes: h('46 00 00 14 00 01 00 00 40 11 62 d3 0a 00 01 01 0a 00 02 02 94 04 00 00'),
  },
  { name: 'ipv4 ihl 0', note: 'IHL below 5: header length 0', bytes: h('40 00 00 14' + '00'.repeat(16)) },
  {
    name: 'ipv4 total > buffer',
    note: 'total length 0xffff on a 20-byte buffer',
    bytes: h('45 00 ff ff 00 01 00 00 40 11 64 e8 0a 00 01 01 0a 00 02 02'),
  },
  {
    name: 'ipv4 valid, no payload',
    note: 'a header alone: fragmenting it must return it whole',
    bytes: h('45 00 00 14 00 01 00 00 40 11 63 d6 0a 00 01 01 0a 00 02 02'),
  },
  {
    name: 'ipv4 zero-length option',
    note: 'option 0x82 with length 0: an option walk that trusts the length never advances',
    bytes: h('46 00 00 30 00 01 00 00 40 11 e0 b9 0a 00 01 01 0a 00 02 02 82 00 00 00' + '00'.repeat(24)),
  },
  {
    name: 'ipv4 option overruns header',
    note: 'copied option 0x83 claims 40 bytes inside a 4-byte option area',
    bytes: h('46 00 00 30 00 01 00 00 40 11 db 91 0a 00 01 01 0a 00 02 02 83 28 04 00' + '00'.repeat(24)),
  },
  {
    name: 'ipv4 ttl 0',
    note: 'decrementTtl wraps to 255 if a caller forgets to check',
    bytes: h('45 00 00 14 00 01 00 00 00 11 a3 d6 0a 00 01 01 0a 00 02 02'),
  },
  {
    name: 'ethernet vlan truncated',
    note: 'TPID 0x8100 and nothing after it',
    bytes: h('ff ff ff ff ff ff 02 00 00 00 00 01 81 00'),
  },
  {
    name: 'ethernet vid 4095',
    note: 'reserved VID',
    bytes: h('ff ff ff ff ff ff 02 00 00 00 00 01 81 00 0f ff 08 00'),
  },
  {
    name: 'ethernet double tag',
    note: 'Q-in-Q: the inner tag is payload',
    bytes: h('ff ff ff ff ff ff 02 00 00 00 00 01 81 00 00 0a 81 00 00 14 08 00'),
  },
  {
    name: 'ethernet 802.3 length',
    note: 'type 0x05dc is a length field',
    bytes: h('ff ff ff ff ff ff 02 00 00 00 00 01 05 dc 42 42 03'),
  },
  {
    name: 'arp 27 bytes',
    note: 'one byte short',
    bytes: h('00 01 08 00 06 04 00 01 02 00 00 00 01 01 0a 00 01 01 00 00 00 00 00 00 0a 00 01'),
  },
  { name: 'udp length 0', note: 'length below the header', bytes: h('00 35 00 35 00 00 00 00') },
  { name: 'udp length beyond buffer', note: 'claims 0xffff bytes', bytes: h('00 35 00 35 ff ff 12 34 00') },
  {
    name: 'icmp odd length',
    note: 'checksum over an odd number of bytes pads with zero',
    bytes: h('08 00 f7 fe 00 01 00 00 01'),
  },
  { name: 'icmp 7 bytes', note: 'one byte short of the header', bytes: h('03 04 00 00 00 00 00') },
  {
    name: 'bgp update, extended-length attribute header cut',
    note: 'flags 0x90 ask for a 2-byte length with one byte of the attribute field left',
    bytes: h('ff'.repeat(16) + '001a 02 0000 0003 90 0e 01'),
  },
  {
    name: 'bgp update, attribute overruns, no routes',
    note: 'RFC 7606 §4: nothing identified to withdraw, so the overrun resets the session',
    bytes: h('ff'.repeat(16) + '001a 02 0000 0003 40 05 09'),
  },
  {
    name: 'bgp open, capability overruns its parameter',
    note: 'parameter length 4 holds a capability claiming 200 bytes',
    bytes: h('ff'.repeat(16) + '0021 01 04 fc00 00f0 0a000001 04 02 02 41 c8'),
  },
];

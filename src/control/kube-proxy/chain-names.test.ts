/**
 * kube-proxy's chain names, checked two ways: against hashes computed here independently (node:crypto's
 * SHA-256 and an RFC 4648 base32 written below, not wire/digest.ts's), and against the names every k3s node shows for its
 * built-in Services (KUBE-SVC-NPX46M4PTMTKRN6Y is default/kubernetes:https, KUBE-SVC-TCOU7JCQXEZGVUNU
 * kube-system/kube-dns:dns on UDP, KUBE-SVC-ERIFXISQEP7F7OF4 dns-tcp, KUBE-SVC-JD5MR3NA4I4DYORP metrics).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { endpointChainName, serviceChainName } from './chain-names.js';

/** RFC 4648 section 6, padded: 5 bits per character, most significant first. */
function refBase32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  while (bits.length % 5 !== 0) bits += '0';
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

const refHash = (s: string): string => refBase32(createHash('sha256').update(s, 'utf8').digest()).slice(0, 16);

describe('kube-proxy chain names', () => {
  it('SVC, SVL, EXT and FW names are the prefix and base32(sha256(name + protocol))[:16]', () => {
    for (const [name, proto] of [
      ['default/web:http', 'tcp'],
      ['default/web', 'tcp'],
      ['kube-system/kube-dns:dns', 'udp'],
      ['team-a/api:grpc', 'sctp'],
    ] as const) {
      for (const prefix of ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-'] as const)
        assert.equal(serviceChainName(prefix, name, proto), prefix + refHash(name + proto));
    }
  });

  it('SEP names hash the endpoint "ip:port" too', () => {
    assert.equal(
      endpointChainName('default/web:http', 'tcp', '10.42.1.3:80'),
      'KUBE-SEP-' + refHash('default/web:httptcp10.42.1.3:80'),
    );
    assert.notEqual(
      endpointChainName('default/web:http', 'tcp', '10.42.1.3:80'),
      endpointChainName('default/web:http', 'tcp', '10.42.1.4:80'),
    );
  });

  it('gives the names real k3s nodes show for the built-in Services', () => {
    assert.equal(serviceChainName('KUBE-SVC-', 'default/kubernetes:https', 'tcp'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
    assert.equal(serviceChainName('KUBE-SVC-', 'kube-system/kube-dns:dns', 'udp'), 'KUBE-SVC-TCOU7JCQXEZGVUNU');
    assert.equal(serviceChainName('KUBE-SVC-', 'kube-system/kube-dns:dns-tcp', 'tcp'), 'KUBE-SVC-ERIFXISQEP7F7OF4');
    assert.equal(serviceChainName('KUBE-SVC-', 'kube-system/kube-dns:metrics', 'tcp'), 'KUBE-SVC-JD5MR3NA4I4DYORP');
  });
});

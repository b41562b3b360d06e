/**
 * kube-proxy's chain names: `KUBE-SVC-`, `KUBE-SVL-`, `KUBE-EXT-` and `KUBE-FW-` + the first 16 characters of
 * base32(sha256(servicePortName + protocol)), and `KUBE-SEP-` the same over servicePortName + protocol +
 * endpoint ("ip:port"), as pkg/proxy/iptables/proxier.go's portProtoHash and servicePortEndpointChainName.
 * SHA-256 and base32 (Go's base32.StdEncoding) are wire/digest.ts's.
 */
import { base32, sha256, utf8 } from '../../wire/digest.js';

function hash16(text: string): string {
  return base32(sha256(utf8(text))).slice(0, 16);
}

/** The chain prefixes kube-proxy hashes a service port into. */
export type ServiceChainPrefix = 'KUBE-SVC-' | 'KUBE-SVL-' | 'KUBE-EXT-' | 'KUBE-FW-';

/** `prefix` + portProtoHash(servicePortName, protocol): servicePortName is "ns/svc:port" ("ns/svc" when unnamed). */
export function serviceChainName(prefix: ServiceChainPrefix, servicePortName: string, protocol: string): string {
  return prefix + hash16(servicePortName + protocol);
}

/** servicePortEndpointChainName: `KUBE-SEP-` + hash of servicePortName + protocol + "ip:port". */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + hash16(servicePortName + protocol + endpoint);
}

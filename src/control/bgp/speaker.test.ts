import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SECOND } from '../../sim/engine.js';
import { formatCidr, formatIpv4 } from '../../wire/addr.js';
import { bgpLab, cidr, fullMesh } from './testing.js';

test('two iBGP speakers over emulated TCP reach Established and exchange routes', () => {
  const lab = bgpLab(2);
  const [a, b] = lab.hosts as [NonNullable<(typeof lab.hosts)[0]>, NonNullable<(typeof lab.hosts)[1]>];
  a.speaker.originate(cidr('192.168.1.0/26'));
  b.speaker.originate(cidr('192.168.2.0/26'));
  const changes: string[] = [];
  a.speaker.onBestChange((p, best) =>
    changes.push(
      `${formatCidr(p)} ${best === undefined ? '-' : best.source.local ? 'local' : formatIpv4(best.attrs.nextHop ?? 0)}`,
    ),
  );
  fullMesh(lab);
  lab.engine.runUntilIdle(60 * SECOND);
  console.log(a.log.join('\n'));
  console.log(b.log.join('\n'));
  assert.equal(a.speaker.status()[0]!.state, 'Established');
  assert.equal(b.speaker.status()[0]!.state, 'Established');
  console.log(changes, a.speaker.status());
});

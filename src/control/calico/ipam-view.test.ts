/**
 * `calicoctl ipam show --show-blocks` against calicoctl v3.32.1's source. The expected tables are written by
 * hand from show.go showBlockUtilization (lines 215-255: header GROUPING, CIDR, IPS TOTAL, IPS IN USE,
 * IPS FREE; cells `%.5g`, `%.5g (%.f%%)`; an "IP Pool" row then its "Block" rows) and from tablewriter
 * v0.0.5's table.go (printLine: `+` and `-`, one space of padding; printHeading: headers centred by
 * util.go Pad, the smaller half on the left; printRow: a cell matching the decimal pattern right-aligned,
 * others left-aligned). The numbers follow Go's strconv rules: %.5g switches to e-notation from 6 digits
 * and drops trailing zeros; %.f rounds an exact half to even (12.5 -> 12, 87.5 -> 88).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CalicoIpam, podHandle, tunnelHandle } from './ipam.js';
import { formatGetIpPool, formatIpamShow, goF0, goG5, type IpPoolRow } from './ipam-view.js';
import { testPool } from './testing.js';

const pool = testPool;

describe('calicoctl ipam show', () => {
  it('formats numbers as Go does', () => {
    assert.deepEqual([64, 65536, 100000, 131072, 1048576, 16777216, 123445, 999995].map(goG5), [
      '64',
      '65536',
      '1e+05',
      '1.3107e+05',
      '1.0486e+06',
      '1.6777e+07',
      '1.2344e+05',
      '1e+06',
    ]);
    assert.deepEqual([6.25, 93.75, 12.5, 87.5, 0.0061, 99.99, 0.5, 1.5].map(goF0), [
      '6',
      '94',
      '12',
      '88',
      '0',
      '100',
      '0',
      '2',
    ]);
  });

  it('prints pools and blocks as calicoctl v3.32.1 does', () => {
    const ipam = new CalicoIpam([
      pool('default-ipv4-ippool', '10.0.0.0/8', { disabled: true }),
      pool('master-pool', '192.168.236.0/26', { nodeSelector: "kubernetes.io/hostname == 'master'" }),
      pool('node-pool', '192.168.190.192/26', { nodeSelector: "kubernetes.io/hostname == 'node'" }),
    ]);
    for (const n of ['master', 'node']) {
      ipam.setNodeLabels(n, { 'kubernetes.io/hostname': n });
      ipam.autoAssign({ handleId: tunnelHandle('ipip', n), node: n, use: 'Tunnel' });
    }
    for (let i = 0; i < 3; i++) ipam.autoAssign({ handleId: podHandle(`m${i}`), node: 'master' });
    for (let i = 0; i < 7; i++) ipam.autoAssign({ handleId: podHandle(`n${i}`), node: 'node' });
    const expected = [
      '+----------+--------------------+------------+------------+-------------------+',
      '| GROUPING |        CIDR        | IPS TOTAL  | IPS IN USE |     IPS FREE      |',
      '+----------+--------------------+------------+------------+-------------------+',
      '| IP Pool  | 10.0.0.0/8         | 1.6777e+07 | 0 (0%)     | 1.6777e+07 (100%) |',
      '| IP Pool  | 192.168.236.0/26   |         64 | 4 (6%)     | 60 (94%)          |',
      '| Block    | 192.168.236.0/26   |         64 | 4 (6%)     | 60 (94%)          |',
      '| IP Pool  | 192.168.190.192/26 |         64 | 8 (12%)    | 56 (88%)          |',
      '| Block    | 192.168.190.192/26 |         64 | 8 (12%)    | 56 (88%)          |',
      '+----------+--------------------+------------+------------+-------------------+',
      '',
    ].join('\n');
    assert.equal(formatIpamShow(ipam.allPools(), ipam.allBlocks(), { showBlocks: true }), expected);
    const poolsOnly = formatIpamShow(ipam.allPools(), ipam.allBlocks());
    assert.equal(poolsOnly.split('\n').filter((l) => l.startsWith('| Block')).length, 0);
    assert.equal(poolsOnly.split('\n').filter((l) => l.startsWith('| IP Pool')).length, 3);
  });

  it('prints calicoctl get ippool [-o wide] as calicoctl’s own system test expects', () => {
    // calicoctl/tests/st/utils/data.py (v3.32.1) ippool_name1_rev1_table and _wide_table; the test there
    // strips the output's trailing whitespace, which tabwriter leaves after the last cell of each row
    const p: IpPoolRow = {
      ...pool('ippool-name1', '10.0.1.0/24', { nodeSelector: "foo == 'bar'" }),
      natOutgoing: false,
      ipipMode: 'Always',
      vxlanMode: 'Never',
      disableBGPExport: false,
    };
    assert.equal(
      formatGetIpPool([p]).trimEnd(),
      'NAME           CIDR          SELECTOR       \n' + "ippool-name1   10.0.1.0/24   foo == 'bar'",
    );
    assert.equal(
      formatGetIpPool([p], { wide: true }).trimEnd(),
      'NAME           CIDR          NAT     IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR       ASSIGNMENTMODE   \n' +
        "ippool-name1   10.0.1.0/24   false   Always     Never       false      false              foo == 'bar'   Automatic",
    );
    assert.ok(formatGetIpPool([p]).endsWith('   \n\n'), 'tab-terminated cells, then the printer’s empty line');
  });
});

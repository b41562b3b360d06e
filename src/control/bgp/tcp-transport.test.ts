/** The emulated-TCP BGP transport against the shared transport conformance suite. */
import { test } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { twoHostLab } from '../../transport/testing.js';
import { TcpBgpConnector } from './tcp-transport.js';
import { runTransportConformance } from './transport-conformance.js';

let lab = twoHostLab();

runTransportConformance(
  'emulated TCP',
  {
    makePair: () => {
      lab = twoHostLab();
      return Promise.resolve({
        a: new TcpBgpConnector(lab.ta),
        b: new TcpBgpConnector(lab.tb),
        bAddr: lab.B,
        port: 179,
        closedPort: 1179,
      });
    },
    until: (cond, what) => {
      const end = lab.engine.now + 10 * SECOND;
      while (!cond() && lab.engine.now < end) lab.engine.run(lab.engine.now + SECOND / 100);
      return cond() ? Promise.resolve() : Promise.reject(new Error(`timed out waiting for ${what}`));
    },
  },
  test,
);

/**
 * Router order and matching as Traefik documents them (docs/content/reference/routing-configuration/
 * http/routing/rules-and-priority.md: "routes are sorted, by default, in descending order using rules
 * length ... A value of 0 for the priority is ignored ... Negative priority values are supported";
 * PathPrefix is a prefix of characters, traefik#9514) and as its muxer does it (pkg/muxer/http).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalHost,
  effectivePriority,
  hostMatches,
  matchRouter,
  sortRouters,
  type TraefikRouter,
} from './traefik-routes.js';

function router(name: string, host: string | undefined, matcher: 'Path' | 'PathPrefix' | undefined, path = '/') {
  const parts = [
    ...(host === undefined ? [] : [`Host(${JSON.stringify(host)})`]),
    ...(matcher === undefined ? [] : [`${matcher}(${JSON.stringify(path)})`]),
  ];
  const r: TraefikRouter = { name, rule: parts.join(' && '), priority: 0, service: name };
  if (host !== undefined) r.host = host;
  if (matcher !== undefined) r.path = { matcher, path };
  return r;
}

test('the longer rule is tried first: priority is the rule length', () => {
  const short = router('short', 'foo.com', undefined);
  const long = router('long', 'www.foo.com', undefined);
  assert.equal(effectivePriority(short), 'Host("foo.com")'.length);
  assert.deepEqual(
    sortRouters([short, long]).map((r) => r.name),
    ['long', 'short'],
  );
});

test('priority is len(rule) unless set; a set priority beats any length; MinInt32 sorts last', () => {
  const api = router('api', 'a.example', 'PathPrefix', '/api');
  const root = router('root', 'a.example', 'PathPrefix', '/');
  const pinned = { ...router('pinned', undefined, 'PathPrefix', '/'), priority: 1000 };
  const def = { ...router('default-router', undefined, 'PathPrefix', '/'), priority: -2147483648 };
  assert.equal(effectivePriority(api), 'Host("a.example") && PathPrefix("/api")'.length);
  assert.deepEqual(
    sortRouters([def, root, api, pinned]).map((r) => r.name),
    ['pinned', 'api', 'root', 'default-router'],
  );
  // a request for /api/x on a.example: the pinned catch-all takes it; without it the longer prefix
  assert.equal(matchRouter([def, root, api, pinned], 'a.example', '/api/x')?.name, 'pinned');
  assert.equal(matchRouter([def, root, api], 'a.example', '/api/x')?.name, 'api');
  assert.equal(matchRouter([def, root, api], 'b.example', '/api/x')?.name, 'default-router');
});

test('Exact is Path: only that path; Prefix is PathPrefix: /v1 also takes /v11 (character-wise, traefik#9514)', () => {
  const exact = router('exact', undefined, 'Path', '/v1');
  const prefix = router('prefix', undefined, 'PathPrefix', '/v1');
  assert.equal(matchRouter([exact], '', '/v1')?.name, 'exact');
  assert.equal(matchRouter([exact], '', '/v1/'), undefined);
  assert.equal(matchRouter([prefix], '', '/v1/users')?.name, 'prefix');
  assert.equal(matchRouter([prefix], '', '/v11')?.name, 'prefix');
  assert.equal(matchRouter([prefix], '', '/v2'), undefined);
  // Path("/v1") is one character shorter than PathPrefix("/v1"): the prefix router is tried first
  assert.deepEqual(
    sortRouters([exact, prefix]).map((r) => r.name),
    ['prefix', 'exact'],
  );
});

test('a rule with a host comes before the same path without one (longer rule); no host matches any host', () => {
  const any = router('any', undefined, 'PathPrefix', '/');
  const host = router('host', 'whoami.local', 'PathPrefix', '/');
  assert.equal(matchRouter([any, host], 'whoami.local', '/')?.name, 'host');
  assert.equal(matchRouter([any, host], 'other.local', '/')?.name, 'any');
  assert.equal(matchRouter([host], 'other.local', '/'), undefined, 'nothing matches: the 404 handler');
});

test('Host compares the request host in lower case without its port; *.domain matches one label', () => {
  assert.equal(canonicalHost('WhoAmI.Local:8000'), 'whoami.local');
  assert.ok(hostMatches('whoami.local', 'WHOAMI.local:80'));
  assert.ok(!hostMatches('whoami.local', 'whoami.local.evil'));
  assert.ok(hostMatches('*.foo.com', 'a.foo.com'));
  assert.ok(!hostMatches('*.foo.com', 'a.b.foo.com'));
  assert.ok(!hostMatches('*.foo.com', 'foo.com'));
  assert.ok(!hostMatches('a.example', ''));
});

test('equal priorities: podnet breaks the tie by router name (Traefik leaves it to Go map order)', () => {
  const b = router('b', 'bbb', undefined);
  const a = router('a', 'aaa', undefined);
  assert.deepEqual(
    sortRouters([b, a]).map((r) => r.name),
    ['a', 'b'],
  );
});

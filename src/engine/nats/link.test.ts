// Which engine errors mean "the engine is not answering now" (503) and which are real API errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jserrors } from '@nats-io/jetstream/internal';
import { EngineTimeout, isEngineDown } from './link.js';

test('errors of an engine that cannot answer yet count as down; API refusals do not', () => {
  // What a KV create gets while a stream has no leader after a pause (seen in cluster-failover).
  assert.equal(isEngineDown(new jserrors.JetStreamNotEnabled('jetstream is not enabled')), true);
  assert.equal(isEngineDown(new EngineTimeout('read: no answer within 2000 ms')), true);
  assert.equal(isEngineDown({ status: 503, message: 'no leader' }), true);
  assert.equal(isEngineDown(new Error('wrong last sequence: 4')), false);
  assert.equal(isEngineDown(new Error('stream name already in use with a different configuration')), false);
});

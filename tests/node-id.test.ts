/** The default node identity (presence/node-id.ts): unique among live nodes, stable across a restart. */
import { defaultNodeId } from '../src/presence/node-id';

test('two nodes on one machine with one port and different addresses have different identities', () => {
  expect(defaultNodeId({ host: '10.0.0.11', port: 3000 })).not.toBe(defaultNodeId({ host: '10.0.0.12', port: 3000 }));
  expect(defaultNodeId({ port: 3000 })).not.toBe(defaultNodeId({ host: '10.0.0.11', port: 3000 }));
  expect(defaultNodeId({ host: '10.0.0.11', port: 3000 })).not.toBe(defaultNodeId({ host: '10.0.0.11', port: 3001 }));
});

test('a node restarted with the same settings has its predecessor\'s identity', () => {
  expect(defaultNodeId({ host: '10.0.0.11', port: 3000 })).toBe(defaultNodeId({ host: '10.0.0.11', port: 3000 }));
  expect(defaultNodeId({ port: 3000 })).toBe(defaultNodeId({ port: 3000 }));
});

test('without a fixed port every process start is a new identity', () => {
  expect(defaultNodeId({ port: 0 })).not.toBe(defaultNodeId({ port: 0 }));
  expect(defaultNodeId({})).not.toBe(defaultNodeId({}));
});

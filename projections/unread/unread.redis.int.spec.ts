import { randomUUID } from 'node:crypto';
import { createRedisUnreadCounters } from '../../infra/unread/redis.unread-counters.js';
import { unreadProjectionSuite } from './testing/unread-projection.suite.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// A key prefix per sink: parallel test files never share keys.
unreadProjectionSuite('redis', () =>
  createRedisUnreadCounters({ url: REDIS_URL, keyPrefix: `parley:test:unread:${randomUUID()}:` }),
);

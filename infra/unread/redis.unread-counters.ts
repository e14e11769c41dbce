import type { Result } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { connectRedis } from '../redis/connect-redis.js';
import { unreadCountOf, type UnreadChange, type UnreadCounters } from './unread-counters.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    parleyApplyUnreadChange(
      key: string,
      guardField: string,
      revision: number,
      effects: string,
    ): Result<number, Context>;
    parleyMoveUnreadCheckpoint(key: string, position: string, lastSeen: string): Result<number, Context>;
  }
}

/**
 * One change, atomically: skipped when its stream's guard field already holds its
 * revision or a later one; otherwise the guard moves and the effects apply in the
 * order `UnreadChange` documents. Members are fields `m:<userId>` of the
 * conversation's hash, so a change touches one key (Redis Cluster can route it).
 */
const APPLY_CHANGE = `
local key = KEYS[1]
local revision = tonumber(ARGV[2])
local applied = tonumber(redis.call('HGET', key, ARGV[1]) or '-1')
if revision <= applied then return 0 end
redis.call('HSET', key, ARGV[1], ARGV[2])
local change = cjson.decode(ARGV[3])
if change.created then redis.call('HSET', key, 'lastSeq', '0') end
if change.lastSeq then
  local current = tonumber(redis.call('HGET', key, 'lastSeq') or '0')
  if change.lastSeq > current then redis.call('HSET', key, 'lastSeq', tostring(change.lastSeq)) end
end
if change.joined then
  for _, userId in ipairs(change.joined) do redis.call('HSET', key, 'm:' .. userId, '0') end
end
if change.left then
  for _, userId in ipairs(change.left) do redis.call('HDEL', key, 'm:' .. userId) end
end
if change.read then
  local field = 'm:' .. change.read.userId
  local current = redis.call('HGET', key, field)
  if current and change.read.seq > tonumber(current) then
    redis.call('HSET', key, field, tostring(change.read.seq))
  end
end
return 1
`;

/**
 * The checkpoint only moves forward (positions stay below 2^53, exact as Lua numbers).
 * Answers -1, writing nothing, when the checkpoint this node last saw (ARGV[2]) has
 * vanished: Redis restarted empty (or evicted it), so the counters are gone too.
 */
const MOVE_CHECKPOINT = `
local current = redis.call('GET', KEYS[1])
if not current and tonumber(ARGV[2]) > 0 then return -1 end
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

export interface RedisUnreadCountersOptions {
  url: string;
  /** Every key starts with this. Defaults to `parley:unread:`; tests use one of their own. */
  keyPrefix?: string;
  logger?: Logger;
}

/**
 * Counters in Redis, shared by every node: a hash per conversation
 * (`<prefix>c:<conversationId>`: the stream guards `rev` and `rrev`, `lastSeq`,
 * and `m:<userId>` per member) and the checkpoint at `<prefix>checkpoint`.
 * Commands fail fast while Redis is away; the projector retries, the guards make
 * retrying safe.
 */
export async function createRedisUnreadCounters(
  options: RedisUnreadCountersOptions,
): Promise<UnreadCounters> {
  const prefix = options.keyPrefix ?? 'parley:unread:';
  const checkpointKey = `${prefix}checkpoint`;
  const conversationKey = (conversationId: string) => `${prefix}c:${conversationId}`;
  // The projector retries what fails while Redis is away.
  const redis = await connectRedis(options.url, { purpose: 'unread counters', logger: options.logger });
  redis.defineCommand('parleyApplyUnreadChange', { numberOfKeys: 1, lua: APPLY_CHANGE });
  redis.defineCommand('parleyMoveUnreadCheckpoint', { numberOfKeys: 1, lua: MOVE_CHECKPOINT });
  /** The newest checkpoint this node read or wrote: if Redis no longer has one, its data was lost. */
  let lastSeenCheckpoint = 0n;

  const counters: UnreadCounters = {
    engine: 'redis',
    async apply(changes, position) {
      // One round trip for the batch; each script is atomic on its own.
      const pipeline = redis.pipeline();
      for (const change of changes) {
        pipeline.parleyApplyUnreadChange(
          conversationKey(change.conversationId),
          change.stream === 'conversation' ? 'rev' : 'rrev',
          change.revision,
          JSON.stringify(effectsOf(change)),
        );
      }
      pipeline.parleyMoveUnreadCheckpoint(checkpointKey, position.toString(), lastSeenCheckpoint.toString());
      const results = (await pipeline.exec()) ?? [];
      const failure = results.find(([error]) => error !== null)?.[0];
      if (failure) throw failure;
      if (results[results.length - 1]?.[1] === -1) {
        // Redis came back empty: this batch's changes landed on nothing. Wipe them and
        // fail, so the projector reads the (now absent) checkpoint and replays the log.
        await counters.clear();
        throw new Error('the unread counters vanished from Redis (restarted empty?): replaying the log');
      }
      if (position > lastSeenCheckpoint) lastSeenCheckpoint = position;
    },
    async readState(userId, conversationId) {
      const [lastSeq, readSeq] = await redis.hmget(conversationKey(conversationId), 'lastSeq', `m:${userId}`);
      if (readSeq === null || readSeq === undefined) return null;
      const last = Number(lastSeq ?? 0);
      const read = Number(readSeq);
      return { lastSeq: last, readSeq: read, unreadCount: unreadCountOf(last, read) };
    },
    async checkpoint() {
      const stored = await redis.get(checkpointKey);
      const checkpoint = stored === null ? 0n : BigInt(stored);
      // Only ever raised here: /ready reads it too, and must not hide a loss from `apply`.
      if (checkpoint > lastSeenCheckpoint) lastSeenCheckpoint = checkpoint;
      return checkpoint;
    },
    async clear() {
      const pattern = `${escapeGlob(prefix)}*`;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      lastSeenCheckpoint = 0n;
    },
    async close() {
      redis.disconnect();
    },
  };
  return counters;
}

/** The script's JSON: only the effects (the key, guard and revision travel as arguments). */
function effectsOf(change: UnreadChange): Omit<UnreadChange, 'conversationId' | 'stream' | 'revision'> {
  const { created, lastSeq, joined, left, read } = change;
  return { created, lastSeq, joined, left, read };
}

/** A prefix is matched literally by SCAN, whatever characters it holds. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * The Lua scripts behind RedisPresence (redis.ts explains the model). Each runs atomically in Redis, so a
 * transition is decided by exactly one script, and that script reports it to exactly one node.
 *
 * Keys, in this order for every script but `scan`:
 *   1 nodes     zset  nodeId → heartbeat deadline (ms, Redis clock)
 *   2 epoch     hash  id: random id of this Redis's data set; until: end of a recovery window (ms)
 *   3 counts    hash  userId → number of sockets, for users online
 *   4 users     hash  userId → member (see below), for users online
 *   5 online    zset  members, score 0: sorted as lists show names (redis.ts, encode)
 *   6 pending   hash  userId → claim, for users whose announcement waits for a recovery window to end
 *   7 expected  set   node ids the recovery window still waits for
 *   8 node      hash  this node's sockets: socketId → userId
 *   9 tx        zset  transitions reported by this node's recent calls, kept until it has read the reply
 *  10, 11      (reap only) the dead node's `node` and `tx`
 * A member is `order \0 name \0 key \0 id` (redis.ts, encode): sorting members sorts names for display, and
 * names are read without another lookup.
 *
 * ARGV starts with: nodeId, the epoch the node last synced with, the call's sequence number, and `floor`
 * (every call up to it has been answered, so its tx entries can go).
 *
 * Every script checks what could fail before its first write: Redis does not roll back a script that errs
 * half-way. The `#!lua` line makes Redis refuse a script outright when out of memory instead of mid-way.
 */

const PRELUDE = `
local nodes, epoch, counts, users, online, pending, expected, node, tx =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local nodeId, knownEpoch, seq = ARGV[1], ARGV[2], ARGV[3]

local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Registered in the data set it last synced with: not reaped, no data lost since.
local function current()
  return redis.call('ZSCORE', nodes, nodeId) ~= false and redis.call('HGET', epoch, 'id') == knownEpoch
end

local function recovering()
  return redis.call('HEXISTS', epoch, 'until') == 1
end

local function trim()
  redis.call('ZREMRANGEBYSCORE', tx, '-inf', ARGV[4])
end

-- Reports a transition in this call's reply and keeps it under the call's seq, so that the node can still
-- learn it if the reply is lost with the connection.
local out = {}
local function report(flag, uid, member)
  out[#out + 1] = flag
  out[#out + 1] = member
  redis.call('ZADD', tx, seq, seq .. ':' .. flag .. ':' .. uid .. ':' .. member)
end

-- Adds delta to the user's socket count, keeping users/online in step; returns the new count. A socket added
-- under another member than the user's (renamed while online, issue 21) replaces it: the newest name shows.
local function count(uid, member, delta)
  local n = redis.call('HINCRBY', counts, uid, delta)
  if delta > 0 and n == 1 then
    redis.call('HSET', users, uid, member)
    redis.call('ZADD', online, 0, member)
  elseif delta > 0 then
    local m = redis.call('HGET', users, uid)
    if m ~= member then
      if m then redis.call('ZREM', online, m) end
      redis.call('HSET', users, uid, member)
      redis.call('ZADD', online, 0, member)
    end
  elseif delta < 0 and n <= 0 then
    local m = redis.call('HGET', users, uid)
    redis.call('HDEL', counts, uid)
    redis.call('HDEL', users, uid)
    if m then redis.call('ZREM', online, m) end
  end
  return n
end

-- During a recovery window a transition is not reported but remembered; '' means "announced offline".
local function defer(uid)
  redis.call('HSETNX', pending, uid, '')
end

-- Ends a recovery window: reports every pending user whose state differs from what was announced.
local function settle()
  local p = redis.call('HGETALL', pending)
  for i = 1, #p, 2 do
    local uid, claim = p[i], p[i + 1]
    local member = redis.call('HGET', users, uid)
    if member and claim == '' then
      report(1, uid, member)
    elseif not member and claim ~= '' then
      report(0, uid, claim)
    end
  end
  redis.call('DEL', pending, expected)
  redis.call('HDEL', epoch, 'until')
end

local function reply(head)
  local r = { head }
  for i = 1, #out do r[#r + 1] = out[i] end
  return r
end
`;

const script = (body: string) => `#!lua\n${PRELUDE}\n${body}`;

/** ARGV 5..7: socketId, userId, member. Returns 1 (came online), 0, or -1 (not current: resync). */
export const ADD = script(`
if not current() then return -1 end
trim()
local sid, uid, member = ARGV[5], ARGV[6], ARGV[7]
if redis.call('HSETNX', node, sid, uid) == 0 then return 0 end
if count(uid, member, 1) ~= 1 then return 0 end
if recovering() then defer(uid) return 0 end
report(1, uid, member)
return 1
`);

/** ARGV 5..6: socketId, userId. Returns 1 (went offline), 0, or -1 (not current: resync). */
export const REMOVE = script(`
if not current() then return -1 end
trim()
local sid, uid = ARGV[5], ARGV[6]
if redis.call('HGET', node, sid) ~= uid then return 0 end
redis.call('HDEL', node, sid)
local member = redis.call('HGET', users, uid)
if count(uid, '', -1) > 0 then return 0 end
if recovering() then defer(uid) return 0 end
if member then report(0, uid, member) end
return 1
`);

/** ARGV 5: TTL (ms). Pushes this node's deadline; -1 when not current (resync). */
export const HEARTBEAT = script(`
if not current() then return -1 end
redis.call('ZADD', nodes, 'XX', nowMs() + tonumber(ARGV[5]), nodeId)
return 1
`);

/**
 * Replaces this node's sockets in Redis by the node's own list (start, reconnect, after being reaped, after
 * a data loss) and registers the node; or, with `leave`, removes them and the node (graceful close).
 * ARGV 5.. : new epoch id, TTL, recovery window, leave (1/0), then counted lists: lost call seqs, peers (nodes
 * the node knew alive), claims (userId, member: users this node knows were announced online), and the
 * rest: the node's sockets as (socketId, userId, member).
 *
 * Finds a data loss by the epoch: none → the first node back creates one; if that node had synced before,
 * the data was lost and a recovery window opens: until the peers it knew have synced too (or the window
 * times out), transitions are deferred, and the claims of the returning nodes say what had been announced.
 *
 * Returns { epoch id, flag, member, flag, member, ... }: the transitions this sync made (or that ended the
 * window), plus those of lost calls that nobody has reported, when they still hold.
 */
export const RESYNC = script(`
local now = nowMs()
local cur = redis.call('HGET', epoch, 'id')
if not cur then
  cur = ARGV[5]
  redis.call('HSET', epoch, 'id', cur)
  if knownEpoch ~= '' then redis.call('HSET', epoch, 'until', now + tonumber(ARGV[7])) end
end
local stale = knownEpoch ~= '' and knownEpoch ~= cur
local registered = redis.call('ZSCORE', nodes, nodeId) ~= false
local window = recovering()
local leave = ARGV[8] == '1'
trim()
-- A node that never synced (a fresh process) numbers its calls from 1: its predecessor's entries must go.
if knownEpoch == '' then redis.call('DEL', tx) end

local uids, seen, before, members = {}, {}, {}, {}
local function touch(uid, member)
  if not seen[uid] then
    seen[uid] = true
    uids[#uids + 1] = uid
    before[uid] = redis.call('HGET', users, uid)
  end
  if member then members[uid] = member end
end

-- Transitions of calls whose replies were lost: first and last flag per user, oldest first.
local a = 9
local memo = {}
for _ = 1, tonumber(ARGV[a]) do
  a = a + 1
  if registered and not stale then
    for _, e in ipairs(redis.call('ZRANGEBYSCORE', tx, ARGV[a], ARGV[a])) do
      local flag, uid, member = string.match(e, '^%d+:(%d):(%d+):(.*)$')
      local on = flag == '1'
      if memo[uid] then memo[uid].last = on else memo[uid] = { first = on, last = on } end
      touch(uid, member)
    end
    redis.call('ZREMRANGEBYSCORE', tx, ARGV[a], ARGV[a])
  end
end
a = a + 1

local claiming = stale and window
for _ = 1, tonumber(ARGV[a]) do
  a = a + 1
  if claiming and ARGV[a] ~= nodeId and redis.call('ZSCORE', nodes, ARGV[a]) == false then
    redis.call('SADD', expected, ARGV[a])
  end
end
a = a + 1
for _ = 1, tonumber(ARGV[a]) do
  if claiming then redis.call('HSET', pending, ARGV[a + 1], ARGV[a + 2]) end
  a = a + 2
end
a = a + 1
redis.call('SREM', expected, nodeId)

-- The diff between what Redis holds for this node and its own list; additions first, so that a user who
-- only moved between sockets never passes through zero.
local old = redis.call('HGETALL', node)
local oldUid = {}
for i = 1, #old, 2 do oldUid[old[i]] = old[i + 1] end
local keep, adds = {}, {}
if not leave then
  for i = a, #ARGV, 3 do
    if oldUid[ARGV[i]] == ARGV[i + 1] then keep[ARGV[i]] = true else adds[#adds + 1] = i end
  end
end
for _, i in ipairs(adds) do touch(ARGV[i + 1], ARGV[i + 2]) end
for i = 1, #old, 2 do if not keep[old[i]] then touch(old[i + 1]) end end
for i = 1, #old, 2 do if not keep[old[i]] then redis.call('HDEL', node, old[i]) end end
for _, i in ipairs(adds) do
  redis.call('HSET', node, ARGV[i], ARGV[i + 1])
  count(ARGV[i + 1], ARGV[i + 2], 1)
end
for i = 1, #old, 2 do if not keep[old[i]] then count(old[i + 1], '', -1) end end

if leave then
  redis.call('ZREM', nodes, nodeId)
  redis.call('DEL', node)
else
  redis.call('ZADD', nodes, now + tonumber(ARGV[6]), nodeId)
end

for _, uid in ipairs(uids) do
  local member = redis.call('HGET', users, uid)
  local was, is = before[uid] ~= false, member ~= false
  if window then
    if was ~= is then defer(uid) end
  else
    -- What was announced: the state before this node's unreported transitions, unless another node has
    -- changed the user since (then that node reported the state Redis holds).
    local announced = was
    local m = memo[uid]
    if m and m.last == was then announced = not m.first end
    if announced ~= is then
      report(is and 1 or 0, uid, member or before[uid] or members[uid])
    end
  end
end

if window and redis.call('SCARD', expected) == 0 then settle() end
if leave then redis.call('DEL', tx) end
return reply(cur)
`);

/**
 * Reaps a dead node (ARGV 5: its id; KEYS 10, 11: its node hash and tx) if its deadline has passed: its
 * sockets go, and the users who went offline by that are reported to the calling node.
 * Returns { 1, flag, member, ... }, { 0 } when the node is alive after all, { -1 } when the caller is not current.
 */
export const REAP = script(`
if not current() then return { -1 } end
trim()
local dead = ARGV[5]
local deadline = redis.call('ZSCORE', nodes, dead)
if not deadline or tonumber(deadline) > nowMs() then return { 0 } end
local window = recovering()
local entries = redis.call('HGETALL', KEYS[10])
local uids, before = {}, {}
for i = 2, #entries, 2 do
  local uid = entries[i]
  if before[uid] == nil then
    uids[#uids + 1] = uid
    before[uid] = redis.call('HGET', users, uid)
  end
  count(uid, '', -1)
end
for _, uid in ipairs(uids) do
  if before[uid] and redis.call('HEXISTS', users, uid) == 0 then
    if window then defer(uid) else report(0, uid, before[uid]) end
  end
end
redis.call('DEL', KEYS[10], KEYS[11])
redis.call('ZREM', nodes, dead)
redis.call('SREM', expected, dead)
return reply(1)
`);

/** Ends a recovery window that is due (timed out, or every expected node is back). Returns like REAP. */
export const SETTLE = script(`
if not current() then return { -1 } end
trim()
if not recovering() then return { 0 } end
if tonumber(redis.call('HGET', epoch, 'until')) > nowMs() and redis.call('SCARD', expected) > 0 then
  return { 0 }
end
settle()
return reply(1)
`);

/** KEYS: nodes, epoch. Returns { now, recovering (1/0), nodeId, deadline, ... } for the reaper. */
export const SCAN = `#!lua flags=no-writes
local t = redis.call('TIME')
local r = { tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), redis.call('HEXISTS', KEYS[2], 'until') }
for _, v in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')) do r[#r + 1] = v end
return r
`;

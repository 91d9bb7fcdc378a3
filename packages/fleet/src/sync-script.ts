/**
 * The one command a host's agent sends each sync: it records the host as seen, its circuit's vote,
 * a trial's outcome and its want of tickets, and answers with the fleet's circuit, the trial's
 * holder and the host's lease. Atomic on the server, and on a Cluster every key shares a slot.
 *
 * KEYS: state (hash: open, openedAt), seen (zset), votes (zset), leases (hash), trial (string)
 * ARGV: host, vote ('1' open, '0' closed, '' none), want, used, total (0: no fleet limit), quorum,
 *       leaseMs, windowMs, resetMs, trialMs, claim ('1'), outcome ('ok', 'failed', '')
 * Returns: { open, msSinceOpened, trial (0 none, 1 this host, 2 another), lease, seen, votes, needed }
 */
export const SYNC_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local host, vote = ARGV[1], ARGV[2]
local want, used, total = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local quorum, leaseMs, windowMs = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local resetMs, trialMs = tonumber(ARGV[9]), tonumber(ARGV[10])
local claim, outcome = ARGV[11] == '1', ARGV[12]
local keep = math.max(windowMs, leaseMs) * 3

redis.call('ZADD', KEYS[2], now, host)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - windowMs)
redis.call('PEXPIRE', KEYS[2], keep)
local seen = redis.call('ZCARD', KEYS[2])

local state = redis.call('HMGET', KEYS[1], 'open', 'openedAt')
local open = state[1] == '1'
local openedAt = tonumber(state[2]) or 0
local holder = redis.call('GET', KEYS[5])

if open and outcome ~= '' and (holder == host or holder == false) then
  if outcome == 'ok' then
    open = false
    redis.call('DEL', KEYS[3])
  else
    openedAt = now
  end
  redis.call('DEL', KEYS[5])
  holder = false
end

if vote == '1' then redis.call('ZADD', KEYS[3], now, host) elseif vote == '0' then redis.call('ZREM', KEYS[3], host) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - windowMs)
redis.call('PEXPIRE', KEYS[3], keep)
local votes = redis.call('ZCARD', KEYS[3])
local needed = quorum
if quorum < 1 then needed = math.max(1, math.ceil(quorum * seen)) end
if not open and votes >= needed then
  open = true
  openedAt = now
  redis.call('DEL', KEYS[5])
  holder = false
end
if open and claim and holder == false and now - openedAt >= resetMs then
  redis.call('SET', KEYS[5], host, 'PX', trialMs)
  holder = host
end
redis.call('HSET', KEYS[1], 'open', open and '1' or '0', 'openedAt', openedAt)
redis.call('PEXPIRE', KEYS[1], keep)

-- Leases: max-min fair shares of the total by want; never more than what the other hosts leave free.
local lease = want
if total > 0 then
  local rows = redis.call('HGETALL', KEYS[4])
  local others, wants = 0, { want }
  for i = 1, #rows, 2 do
    if rows[i] ~= host then
      local g, h, w, exp = string.match(rows[i + 1], '^(%d+):(%d+):(%d+):(%d+)$')
      if exp and tonumber(exp) > now then
        others = others + math.max(tonumber(g), tonumber(h))
        wants[#wants + 1] = tonumber(w)
      else
        redis.call('HDEL', KEYS[4], rows[i])
      end
    end
  end
  local mine, ahead = want, 0
  for i = 2, #wants do if wants[i] < want then ahead = ahead + 1 end end
  table.sort(wants)
  local left = total
  for i = 1, #wants do
    local share = math.ceil(left / (#wants - i + 1))
    local given = math.min(wants[i], share)
    if i == ahead + 1 then mine = given end
    left = left - given
  end
  lease = math.max(0, math.min(mine, total - others))
end
redis.call('HSET', KEYS[4], host, lease .. ':' .. used .. ':' .. want .. ':' .. (now + leaseMs))
redis.call('PEXPIRE', KEYS[4], keep)

local trial = 0
if holder == host then trial = 1 elseif holder then trial = 2 end
return { open and 1 or 0, now - openedAt, trial, lease, seen, votes, needed }
`;

/** What the script answers. */
export interface SyncReply {
  readonly open: boolean;
  readonly msSinceOpened: number;
  readonly trial: 'none' | 'here' | 'elsewhere';
  readonly lease: number;
  readonly seen: number;
  readonly votes: number;
  readonly needed: number;
}

export function parseReply(reply: unknown): SyncReply {
  const [open, msSinceOpened, trial, lease, seen, votes, needed] = (reply as number[]).map(Number);
  return {
    open: open === 1,
    msSinceOpened: msSinceOpened!,
    trial: trial === 1 ? 'here' : trial === 2 ? 'elsewhere' : 'none',
    lease: lease!,
    seen: seen!,
    votes: votes!,
    needed: needed!,
  };
}

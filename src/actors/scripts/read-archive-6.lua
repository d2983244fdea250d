--[[
  Reads a room's archive (layout in archive-lib.lua) in time order, in one step: a commit that
  lands meanwhile is seen whole or not at all.
  KEYS[1..2] the list and ids written before the time index (moved in first), KEYS[3] list,
  KEYS[4] base, KEYS[5] ids, KEYS[6] times
  ARGV[1] what:
    'newest', n, since     → the newest n entries (0: all), only those at or after `since` (ms,
                             '' for all), oldest first
    'ends'                 → { oldest entry or false, newest entry or false }
    'page', start, end, afterId, beforeId, rsmAfter, rsmBefore, max, hasIds, id1 .. idN
                           → { count, index, complete (0/1), entries of the page, oldest first }
      start/end: ms, '' for none; afterId/beforeId (mam:2#extended) and rsmAfter: ids, '' for
      none; rsmBefore: '' none, '\0' the last page (an empty <before/>), else an id; max: '' for all.
      hasIds: '1' for the `ids` filter, its ids after it. An id not in the archive answers
      { 'missing', id }; an `ids` id not in the archive or outside the other filters, { 'ids-missing' }.
  The page is archive-query.ts's `selectArchivePage` for queries without `with`, in ranks of
  the sorted set instead of a list read whole.
]]
adoptOldArchive(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
local listKey, baseKey, idsKey, timesKey = KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function entriesOf(seqs) return entriesAt(listKey, baseKey, seqs) end

local what = ARGV[1]
if what == 'newest' then
  local n, since = tonumber(ARGV[2]), ARGV[3] or ''
  if since == '' then return entriesOf(redis.call('ZRANGE', timesKey, n > 0 and -n or 0, -1)) end
  -- the newest n at or after `since`, newest first: turned oldest first
  local newest = n > 0 and redis.call('ZRANGE', timesKey, '+inf', since, 'BYSCORE', 'REV', 'LIMIT', 0, n)
    or redis.call('ZRANGE', timesKey, '+inf', since, 'BYSCORE', 'REV')
  local seqs = {}
  for i = #newest, 1, -1 do seqs[#seqs + 1] = newest[i] end
  return entriesOf(seqs)
end
if what == 'ends' then
  local first = redis.call('ZRANGE', timesKey, 0, 0)
  local last = redis.call('ZRANGE', timesKey, -1, -1)
  return { entriesOf(first)[1] or false, entriesOf(last)[1] or false }
end

-- 'page'
local startMs, endMs, afterId, beforeId, rsmAfter, rsmBefore, max =
  ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local missing = nil
local function rankOf(id)
  local member = redis.call('HGET', idsKey, id)
  local rank = member and redis.call('ZRANK', timesKey, member)
  if not rank then missing = missing or id end
  return rank, member
end

-- the messages the filters select: ranks [lo, hi)
local lo, hi = 0, redis.call('ZCARD', timesKey)
if startMs ~= '' then lo = redis.call('ZCOUNT', timesKey, '-inf', '(' .. startMs) end
if endMs ~= '' then hi = redis.call('ZCOUNT', timesKey, '-inf', endMs) end
if afterId ~= '' then local r = rankOf(afterId); if r then lo = math.max(lo, r + 1) end end
if beforeId ~= '' then local r = rankOf(beforeId); if r then hi = math.min(hi, r) end end
if missing then return { 'missing', missing } end
if hi < lo then hi = lo end

-- the `ids` filter (ARGV[9] '1', the ids after it): those of them in [lo, hi), every one found
local picked = nil -- { ranks, members } in rank order; nil: all of [lo, hi)
if ARGV[9] == '1' then
  local seen, list = {}, {}
  for k = 10, #ARGV do
    if not seen[ARGV[k]] then
      seen[ARGV[k]] = true
      local member = redis.call('HGET', idsKey, ARGV[k])
      local rank = member and redis.call('ZRANK', timesKey, member)
      if not rank or rank < lo or rank >= hi then return { 'ids-missing' } end
      list[#list + 1] = { rank, member }
    end
  end
  table.sort(list, function(x, y) return x[1] < y[1] end)
  picked = list
end
local n = picked and #picked or hi - lo
-- how many selected messages sit before `rank` (inclusive: at or before it)
local function countBefore(rank, inclusive)
  if not picked then return math.max(0, math.min(n, rank - lo + (inclusive and 1 or 0))) end
  local c = 0
  while c < n and (picked[c + 1][1] < rank or (inclusive and picked[c + 1][1] == rank)) do c = c + 1 end
  return c
end

-- the candidates for the page, positions [from, to) among the selected: after or before the RSM anchor
local from, to = 0, n
if rsmAfter ~= '' then local r = rankOf(rsmAfter); if r then from = countBefore(r, true) end end
if rsmBefore ~= '' and rsmBefore ~= '\0' then local r = rankOf(rsmBefore); if r then to = math.max(countBefore(r, false), from) end end
if missing then return { 'missing', missing } end

local backwards = rsmBefore ~= ''
local first, last = from, to
if max ~= '' then
  if backwards then first = math.max(from, to - tonumber(max)) else last = math.min(to, from + tonumber(max)) end
end
local complete = (backwards and first == from) or (not backwards and last == to)
local members = {}
if last > first then
  if picked then
    for i = first + 1, last do members[#members + 1] = picked[i][2] end
  else
    members = redis.call('ZRANGE', timesKey, lo + first, lo + last - 1)
  end
end
local page = entriesOf(members)
local out = { n, first, complete and 1 or 0 }
for j = 1, #page do out[#out + 1] = page[j] end
return out

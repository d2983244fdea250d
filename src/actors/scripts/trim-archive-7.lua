--[[
  Archive retention (spec §3.2, MAM_MAX_DAYS): drops a room's archived messages older than a
  cutoff (layout in archive-lib.lua), only while the caller holds the partition's lease. The
  time index finds them: a sweep costs what it drops. They leave the index and the ids hash;
  in the list, the head goes (the base counts it) and an old entry further on (a backfill's)
  becomes an empty string until an end of the list reaches it.
  KEYS[1] lease key, KEYS[2..3] the list and ids written before the time index (moved in
  first), KEYS[4] list, KEYS[5] base, KEYS[6] ids, KEYS[7] times
  ARGV[1] lease value, ARGV[2] cutoff (ms since epoch)
  Returns how many entries were dropped, or -1 when the lease is not held (nothing changed).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local listKey, baseKey, idsKey, timesKey = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
adoptOldArchive(KEYS[2], KEYS[3], listKey, baseKey, idsKey, timesKey)
local gone = redis.call('ZRANGEBYSCORE', timesKey, '-inf', '(' .. ARGV[2])
if #gone == 0 then
  return 0
end
if #gone == redis.call('ZCARD', timesKey) then
  -- all of it: nothing of the list is kept
  redis.call('DEL', listKey, baseKey, idsKey, timesKey)
  return #gone
end
table.sort(gone) -- by number: the list's order
local base = archiveBase(baseKey)
for from = 1, #gone, ARCHIVE_SLICE do
  local seqs = { unpack(gone, from, math.min(from + ARCHIVE_SLICE - 1, #gone)) }
  local entries = entriesAt(listKey, baseKey, seqs)
  local ids = {}
  for j = 1, #seqs do
    local meta = entries[j] and archivedMeta(entries[j])
    if meta and type(meta.stanzaId) == 'string' then ids[#ids + 1] = meta.stanzaId end
  end
  if #ids > 0 then redis.call('HDEL', idsKey, unpack(ids)) end
  redis.call('ZREM', timesKey, unpack(seqs))
end
-- the list's head: as far as the dropped numbers run from it, popped; the others emptied
local popped = 0
for _, seq in ipairs(gone) do
  if tonumber(seq) == base + popped + 1 then
    popped = popped + 1
  else
    redis.call('LSET', listKey, tonumber(seq) - base - 1, '')
  end
end
if popped > 0 then
  redis.call('LTRIM', listKey, popped, -1)
end
-- emptied entries at either end go too: the head's count in the base; the tail's numbers are
-- given again to the next appends, which nothing refers to any more
local function emptyRun(from, to, step)
  local got = redis.call('LRANGE', listKey, from, to)
  local n, i = 0, step > 0 and 1 or #got
  while got[i] == '' do n = n + 1; i = i + step end
  return n, n == #got and #got > 0
end
local head, more = 0, true
while more do
  local n; n, more = emptyRun(head, head + ARCHIVE_SLICE - 1, 1)
  head = head + n
end
if head > 0 then redis.call('LTRIM', listKey, head, -1) end
if popped + head > 0 then redis.call('SET', baseKey, base + popped + head) end
local tail; tail, more = 0, true
while more do
  local n; n, more = emptyRun(-tail - ARCHIVE_SLICE, -tail - 1, -1)
  tail = tail + n
end
if tail > 0 then redis.call('LTRIM', listKey, 0, -tail - 1) end
return #gone

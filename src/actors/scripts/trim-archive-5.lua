--[[
  Archive retention (spec §3.2, MAM_MAX_DAYS): drops a room's archived messages older than a
  cutoff (layout in archive-lib.lua), only while the caller holds the partition's lease. The
  time index finds them: a sweep costs what it drops.
  KEYS[1] lease key, KEYS[2] the list written before the layout (migrated first), KEYS[3] entries,
  KEYS[4] ids, KEYS[5] times
  ARGV[1] lease value, ARGV[2] cutoff (ms since epoch)
  Returns how many entries were dropped, or -1 when the lease is not held (nothing changed).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
migrateArchive(KEYS[2], KEYS[3], KEYS[4], KEYS[5])
local entriesKey, idsKey, timesKey = KEYS[3], KEYS[4], KEYS[5]
local gone = redis.call('ZRANGEBYSCORE', timesKey, '-inf', '(' .. ARGV[2])
if #gone == 0 then
  return 0
end
for from = 1, #gone, ARCHIVE_SLICE do
  local members = { unpack(gone, from, math.min(from + ARCHIVE_SLICE - 1, #gone)) }
  local entries = redis.call('HMGET', entriesKey, unpack(members))
  local ids = {}
  for j = 1, #members do
    local meta = entries[j] and archivedMeta(entries[j])
    if meta and type(meta.stanzaId) == 'string' then ids[#ids + 1] = meta.stanzaId end
  end
  redis.call('HDEL', entriesKey, unpack(members))
  if #ids > 0 then redis.call('HDEL', idsKey, unpack(ids)) end
  redis.call('ZREM', timesKey, unpack(members))
end
return #gone

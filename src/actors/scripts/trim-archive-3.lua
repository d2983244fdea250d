--[[
  Archive retention (spec §3.2, MAM_MAX_DAYS): drops a room's archived messages older than a
  cutoff, and their ids from the ids hash, only while the caller holds the partition's lease.
  The list is not in time order (a backfill appends older messages after newer ones), so every
  entry is read.
  KEYS[1] lease key, KEYS[2] the room's archive list, KEYS[3] its ids hash
  ARGV[1] lease value, ARGV[2] cutoff (ISO 8601 UTC, as every entry's `at`)
  Returns how many entries were dropped, or -1 when the lease is not held (nothing changed).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local entries = redis.call('LRANGE', KEYS[2], 0, -1)
local kept, gone = {}, {}
for i = 1, #entries do
  local e = entries[i]
  -- the metadata (JSON) ends at the first newline (archive.ts, encodeArchived); older entries are one JSON object
  local newline = string.find(e, '\n', 1, true)
  local ok, meta = pcall(cjson.decode, newline and string.sub(e, 1, newline - 1) or e)
  if ok and type(meta) == 'table' and type(meta.at) == 'string' and meta.at < ARGV[2] then
    gone[#gone + 1] = meta.stanzaId
  else
    kept[#kept + 1] = e -- what cannot be read is kept, never lost
  end
end
if #gone == 0 then
  return 0
end
-- Lua's unpack takes a bounded number of values: slices of this many
local SLICE = 1000
redis.call('DEL', KEYS[2])
for i = 1, #kept, SLICE do
  redis.call('RPUSH', KEYS[2], unpack(kept, i, math.min(i + SLICE - 1, #kept)))
end
local ids = {}
for i = 1, #gone do
  if type(gone[i]) == 'string' then ids[#ids + 1] = gone[i] end
end
for i = 1, #ids, SLICE do
  redis.call('HDEL', KEYS[3], unpack(ids, i, math.min(i + SLICE - 1, #ids)))
end
return #gone

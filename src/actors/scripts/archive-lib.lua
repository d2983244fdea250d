--[[
  A room's archive (archive.ts), shared by the scripts that write, read and trim it. Prepended
  to those scripts (scripts.ts), so it defines locals only.

  Layout, per room:
    entries  hash: seq (12 digits) → entry (encodeArchived); field `next`: the last seq given
    ids      hash: stanza id → seq (appends are idempotent; an RSM anchor finds its place)
    times    sorted set: member seq, score the message's time (ms since epoch)
  Equal times sort by member, i.e. by seq: the order the messages reached the archive. A page
  (a time range, an anchor, a count) costs what it returns, not the archive's size.
  Archives written before this layout are one list of entries (oldest first, backfilled ones
  after live ones); `migrateArchive` moves such a list into the layout the first time a script
  meets it.
]]

local function seqMember(n)
  return string.format('%012d', n)
end

-- Days from 1970-01-01 to a civil date (H. Hinnant's algorithm); Lua numbers are doubles.
local function daysFromCivil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- An ISO 8601 UTC time (`at`, as toISOString writes it) in ms; 0 when it does not read as one.
local function isoToMs(at)
  if type(at) ~= 'string' then return 0 end
  local y, mo, d, h, mi, s, frac = string.match(at, '^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.?(%d*)Z$')
  if not y then return 0 end
  local ms = 0
  if frac ~= '' then ms = math.floor(tonumber(string.sub(frac .. '00', 1, 3))) end
  local days = daysFromCivil(tonumber(y), tonumber(mo), tonumber(d))
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(s) * 1000 + ms
end

-- An entry's metadata (the JSON before its first newline; older entries are one JSON object).
local function archivedMeta(entry)
  local newline = string.find(entry, '\n', 1, true)
  local ok, meta = pcall(cjson.decode, newline and string.sub(entry, 1, newline - 1) or entry)
  if ok and type(meta) == 'table' then return meta end
  return nil
end

-- Lua's unpack takes a bounded number of values: Redis gets long argument lists in slices of this many
local ARCHIVE_SLICE = 1000

-- Appends entries whose ids the archive does not hold yet (nor an earlier one of the same call),
-- in order; `ms[i]` is entry i's time. A few calls per slice, not per entry (W2's hot path).
local function appendToArchive(entriesKey, idsKey, timesKey, ids, ms, entries)
  local taken = {}
  for from = 1, #ids, ARCHIVE_SLICE do
    local to = math.min(from + ARCHIVE_SLICE - 1, #ids)
    local held = redis.call('HMGET', idsKey, unpack(ids, from, to))
    local fresh = {}
    for j = from, to do
      local id = ids[j]
      if not held[j - from + 1] and not taken[id] then
        taken[id] = true
        fresh[#fresh + 1] = j
      end
    end
    if #fresh > 0 then
      local last = redis.call('HINCRBY', entriesKey, 'next', #fresh)
      local entryFields, idFields, scored = {}, {}, {}
      for f = 1, #fresh do
        local j = fresh[f]
        local member = seqMember(last - #fresh + f)
        entryFields[#entryFields + 1] = member
        entryFields[#entryFields + 1] = entries[j]
        idFields[#idFields + 1] = ids[j]
        idFields[#idFields + 1] = member
        scored[#scored + 1] = ms[j]
        scored[#scored + 1] = member
      end
      redis.call('HSET', entriesKey, unpack(entryFields))
      redis.call('HSET', idsKey, unpack(idFields))
      redis.call('ZADD', timesKey, unpack(scored))
    end
  end
end

-- Moves an archive written before this layout (a list) into it, once. An entry that cannot be
-- read is kept, at time 0 under a made-up id: the oldest, for retention to drop.
local function migrateArchive(listKey, entriesKey, idsKey, timesKey)
  if redis.call('EXISTS', listKey) == 0 then return end
  local old = redis.call('LRANGE', listKey, 0, -1)
  local ids, ms = {}, {}
  for i = 1, #old do
    local meta = archivedMeta(old[i])
    local id = meta and meta.stanzaId
    ids[i] = type(id) == 'string' and id or ('unreadable-' .. i)
    ms[i] = isoToMs(meta and meta.at)
  end
  -- the old ids hash said 1 for each id: the layout's says where it is
  redis.call('DEL', idsKey)
  appendToArchive(entriesKey, idsKey, timesKey, ids, ms, old)
  redis.call('DEL', listKey)
end

--[[
  A room's archive (archive.ts), shared by the scripts that write, read and trim it. Prepended
  to those scripts (scripts.ts), so it defines locals only.

  Layout, per room:
    list   the entries (encodeArchived) in the order they reached the archive; entry number
           `seq` (1, 2, ...) sits at index seq - base - 1
    base   how many entries retention took from the list's head (absent: 0)
    ids    hash: stanza id → seq (appends are idempotent; an RSM anchor finds its place)
    times  sorted set: member seq (12 digits), score the message's time (ms since epoch)
  Equal times sort by member, i.e. by seq: the order the messages reached the archive. A page
  (a time range, an anchor, a count) costs what it returns, not the archive's size. The list
  stays the store (appends cost W2 what they did; a hash of entries cost 2 µs more per message
  and twice the memory); the time index adds one ZADD per slice.
  Archives written before the index are a list and an ids hash of 1s under other keys:
  `adoptOldArchive` moves them in the first time a script meets them (and again for whatever a
  worker of that version wrote there during a rolling upgrade).
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

local function archiveBase(baseKey)
  return tonumber(redis.call('GET', baseKey) or '0')
end

-- Indexes entries the list has from `firstSeq` on: their ids, and their times (`ms[i]` is entry i's).
local function indexEntries(idsKey, timesKey, firstSeq, ids, ms)
  for from = 1, #ids, ARCHIVE_SLICE do
    local to = math.min(from + ARCHIVE_SLICE - 1, #ids)
    local idFields, scored = {}, {}
    for j = from, to do
      local member = seqMember(firstSeq + j - 1)
      idFields[#idFields + 1] = ids[j]
      idFields[#idFields + 1] = member
      scored[#scored + 1] = ms[j]
      scored[#scored + 1] = member
    end
    redis.call('HSET', idsKey, unpack(idFields))
    redis.call('ZADD', timesKey, unpack(scored))
  end
end

-- Appends entries whose ids the archive does not hold yet (nor an earlier one of the same call),
-- in order; `ms[i]` is entry i's time. A few calls per slice, not per entry (W2's hot path).
local function appendEntries(listKey, baseKey, idsKey, timesKey, ids, ms, entries)
  local taken = {}
  local base = nil
  for from = 1, #ids, ARCHIVE_SLICE do
    local to = math.min(from + ARCHIVE_SLICE - 1, #ids)
    local held = redis.call('HMGET', idsKey, unpack(ids, from, to))
    local freshIds, freshMs, freshEntries = {}, {}, {}
    for j = from, to do
      local id = ids[j]
      if not held[j - from + 1] and not taken[id] then
        taken[id] = true
        freshIds[#freshIds + 1] = id
        freshMs[#freshMs + 1] = ms[j]
        freshEntries[#freshEntries + 1] = entries[j]
      end
    end
    if #freshIds > 0 then
      base = base or archiveBase(baseKey)
      local length = redis.call('RPUSH', listKey, unpack(freshEntries))
      indexEntries(idsKey, timesKey, base + length - #freshIds + 1, freshIds, freshMs)
    end
  end
end

-- Moves what the keys written before the time index hold (a list, an ids hash of 1s) into the
-- archive, then deletes them: once for an archive of an older version, and again for what a
-- worker of that version wrote during a rolling upgrade (ids the archive has are skipped). An
-- entry that cannot be read comes at time 0 under a made-up id: the oldest, for retention to drop.
local function adoptOldArchive(oldList, oldIds, listKey, baseKey, idsKey, timesKey)
  if redis.call('EXISTS', oldList) == 0 then return end
  local old = redis.call('LRANGE', oldList, 0, -1)
  local ids, ms = {}, {}
  for i = 1, #old do
    local meta = archivedMeta(old[i])
    local id = meta and meta.stanzaId
    ids[i] = type(id) == 'string' and id or ('unreadable-' .. redis.sha1hex(old[i]))
    ms[i] = isoToMs(meta and meta.at)
  end
  appendEntries(listKey, baseKey, idsKey, timesKey, ids, ms, old)
  redis.call('DEL', oldList, oldIds)
end

-- The entries numbered `seqs` (members of the time index), in that order: one LRANGE per run
-- of consecutive numbers (a page in time order is mostly one run).
local function entriesAt(listKey, baseKey, seqs)
  local out = {}
  if #seqs == 0 then return out end
  local base = archiveBase(baseKey)
  local length = redis.call('LLEN', listKey)
  local i = 1
  while i <= #seqs do
    local first = tonumber(seqs[i])
    local j = i
    while j < #seqs and tonumber(seqs[j + 1]) == first + (j - i) + 1 do j = j + 1 end
    -- counted from the nearer end: Redis walks the list from where an index starts
    local from = first - base - 1
    if from > length / 2 then from = from - length end
    local got = redis.call('LRANGE', listKey, from, from + (j - i))
    for k = 1, j - i + 1 do out[#out + 1] = got[k] or false end
    i = j + 1
  end
  return out
end

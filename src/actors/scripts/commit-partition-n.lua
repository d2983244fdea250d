--[[
  Commits what one mailbox job produced — room snapshots, archive entries, indexes and the
  outbound stanzas — in one step, and only while the worker still holds the partition's lease
  (fencing). A worker that lost its lease writes nothing, so the new owner's replay is the
  only one that counts.
  A commit is applied once: ioredis sends a command again when the connection dropped before
  its answer came, and Redis may have run it already (a crash between running it and
  answering); the outbound stanzas and the own-ids lists would then get it twice.
  KEYS[1] partition lease
  KEYS[2] the partition's outbound stream (the edge reads it)
  KEYS[3] the id of the partition's last commit
  KEYS[4..] keys the ops name by index
  ARGV[1] the lease value the worker holds
  ARGV[2] this commit's id (unique per lease)
  ARGV[3] outbound stanzas, already serialised in order ('' for none)
  ARGV[4..] ops, flat (src/actors/commit.ts), values as they are:
          set k value | del k | sadd k member | srem k member
          avatar-ref k(store) k(refs) hash delta value  (refs[hash] += delta; at 0 the image leaves both;
                                                    else store[hash] = value where absent, value not '')
          archives k(old list) k(old ids) k(list) k(base) k(ids) k(times) payload
                                                   (a room's archive, archive-lib.lua: each entry appended once
                                                    per stanza id; payload: <bytes>:<stanza-id><bytes>:<ms><bytes>:<entry>,
                                                    repeated)
          push k(list) keep n value1 .. valueN     (appended, then the list trimmed to its last keep)
  Returns 1 (also for a commit applied already), or -1 when the lease is not held (nothing written).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  return 1
end
local n = #ARGV

-- The stanza ids, times and entries of an 'archives' payload, in order; nil when malformed.
local function readArchived(s)
  local ids, ms, entries = {}, {}, {}
  local p, len = 1, #s
  while p <= len do
    local triple = {}
    for j = 1, 3 do
      local c = string.find(s, ':', p, true)
      if not c then return nil end
      local bytes = tonumber(string.sub(s, p, c - 1))
      if not bytes or c + bytes > len then return nil end
      triple[j] = string.sub(s, c + 1, c + bytes)
      p = c + bytes + 1
    end
    if not tonumber(triple[2]) then return nil end
    ids[#ids + 1] = triple[1]
    ms[#ms + 1] = triple[2]
    entries[#entries + 1] = triple[3]
  end
  return { ids = ids, ms = ms, entries = entries }
end

-- the ops are checked whole before any is applied: a script stopped midway keeps what it wrote
local archived = {}
local i = 4
while i <= n do
  local o = ARGV[i]
  if o == 'del' then i = i + 2
  elseif o == 'set' or o == 'sadd' or o == 'srem' then i = i + 3
  elseif o == 'avatar-ref' then i = i + 6
  elseif o == 'archives' then
    archived[i] = readArchived(ARGV[i + 7])
    if not archived[i] then return redis.error_reply('commit-partition: malformed archives') end
    i = i + 8
  elseif o == 'push' then i = i + 4 + (tonumber(ARGV[i + 3]) or 0)
  else return redis.error_reply('commit-partition: unknown op ' .. tostring(o)) end
end
if i ~= n + 1 then return redis.error_reply('commit-partition: truncated ops') end
i = 4
while i <= n do
  local o = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if o == 'set' then
    redis.call('SET', key, ARGV[i + 2])
    i = i + 3
  elseif o == 'del' then
    redis.call('DEL', key)
    i = i + 2
  elseif o == 'sadd' then
    redis.call('SADD', key, ARGV[i + 2])
    i = i + 3
  elseif o == 'srem' then
    redis.call('SREM', key, ARGV[i + 2])
    i = i + 3
  elseif o == 'avatar-ref' then
    local refs, hash, value = KEYS[tonumber(ARGV[i + 2])], ARGV[i + 3], ARGV[i + 5]
    if redis.call('HINCRBY', refs, hash, tonumber(ARGV[i + 4])) <= 0 then
      redis.call('HDEL', refs, hash)
      redis.call('HDEL', key, hash)
    elseif value ~= '' then
      redis.call('HSETNX', key, hash, value)
    end
    i = i + 6
  elseif o == 'push' then
    local n = tonumber(ARGV[i + 3])
    if n > 0 then
      redis.call('RPUSH', key, unpack(ARGV, i + 4, i + 3 + n))
      redis.call('LTRIM', key, -tonumber(ARGV[i + 2]), -1)
    end
    i = i + 4 + n
  else -- archives
    local k = function(j) return KEYS[tonumber(ARGV[i + j])] end
    local a = archived[i]
    adoptOldArchive(k(1), k(2), k(3), k(4), k(5), k(6))
    appendEntries(k(3), k(4), k(5), k(6), a.ids, a.ms, a.entries)
    i = i + 8
  end
end
if ARGV[3] ~= '' then
  redis.call('XADD', KEYS[2], '*', 's', ARGV[3])
end
redis.call('SET', KEYS[3], ARGV[2])
return 1

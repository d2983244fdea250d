--[[
  Reads what Redis holds of rooms not in memory (Rooms.readAhead, Rooms.get), in one command:
  200 joins of new rooms sent 400 commands (a snapshot and marks, and own ids, per room),
  each a command object, an argument list and a reply in the client.
  KEYS, per room: its snapshot, its marks, its own message ids (a list)
  Returns, per room: the snapshot or false, the marks or false, and the own message ids where
  it has a snapshot (else an empty list: a room without a snapshot has none to restore).
]]
local out = {}
for i = 1, #KEYS, 3 do
  local snapshot = redis.call('GET', KEYS[i])
  out[#out + 1] = snapshot
  out[#out + 1] = redis.call('GET', KEYS[i + 1])
  out[#out + 1] = snapshot and redis.call('LRANGE', KEYS[i + 2], 0, -1) or {}
end
return out

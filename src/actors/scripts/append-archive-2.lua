--[[
  Appends one message to a room's archive unless its stanza-id is already there, so a
  replayed event never archives twice.
  KEYS[1] archive list (JSON entries, oldest first)
  KEYS[2] archive ids hash (stanza-id -> 1)
  ARGV[1] stanza-id
  ARGV[2] entry (JSON)
  Returns 1 when appended, 0 when already archived.
]]
if redis.call('HSETNX', KEYS[2], ARGV[1], 1) == 0 then
  return 0
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 1

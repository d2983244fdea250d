--[[
  Acknowledges and deletes what the edge wrote to XMPP from the outbound streams, in one step
  (a MULTI of XACK + XDEL per stream cost the edge more than the write it acknowledged).
  KEYS[1..] the outbound streams read
  ARGV[1] the consumer group
  ARGV[2..] per stream, in KEYS' order: the number of ids, then the ids
  Returns the number of entries deleted.
]]
local group, a, deleted = ARGV[1], 2, 0
for k = 1, #KEYS do
  local n = tonumber(ARGV[a])
  if n and n > 0 then
    redis.call('XACK', KEYS[k], group, unpack(ARGV, a + 1, a + n))
    deleted = deleted + redis.call('XDEL', KEYS[k], unpack(ARGV, a + 1, a + n))
  end
  a = a + 1 + (n or 0)
end
return deleted

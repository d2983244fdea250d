--[[
  Extends a lease its holder still has.
  KEYS[1] lease key
  ARGV[1] lease value "<worker id>#<token>"
  ARGV[2] ttl (ms)
  Returns 1 when extended, 0 when the lease is gone or held by someone else.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0

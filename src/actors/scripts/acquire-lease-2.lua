--[[
  Takes a partition's lease for a worker when it is free, or extends it when that worker
  already holds it. A new holder gets a new fencing token, so writes of an older holder can
  be told apart and refused.
  KEYS[1] lease key
  KEYS[2] fencing counter
  ARGV[1] worker id
  ARGV[2] ttl (ms)
  Returns the lease value "<worker id>#<token>", or false when another worker holds it.
]]
local current = redis.call('GET', KEYS[1])
if current then
  if string.sub(current, 1, #ARGV[1] + 1) == ARGV[1] .. '#' then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return current
  end
  return false
end
local value = ARGV[1] .. '#' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value

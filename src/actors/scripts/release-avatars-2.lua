--[[
  A user's rooms are deleted outside a commit (unregistration): each image one of them used is
  used by one room fewer, and leaves the partition's store at 0 (see commit-partition-n.lua's
  avatar-ref).
  KEYS[1] the partition's images (SHA-1 -> JSON)
  KEYS[2] their counts of rooms (SHA-1 -> rooms)
  ARGV    one SHA-1 per room that used it (a hash twice: two rooms)
  Returns how many images left the store.
]]
local gone = 0
for _, hash in ipairs(ARGV) do
  if redis.call('HINCRBY', KEYS[2], hash, -1) <= 0 then
    redis.call('HDEL', KEYS[2], hash)
    gone = gone + redis.call('HDEL', KEYS[1], hash)
  end
end
return gone

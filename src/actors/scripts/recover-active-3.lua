--[[
  A worker that just took a partition puts the jobs its dead predecessor left active back at
  the head of the mailbox, oldest first, so they run again before anything newer (BullMQ's own
  stall check would take two intervals and could let newer jobs pass). A worker whose consumer
  finds older jobs left active (a fetch answer lost with the connection) does the same.
  KEYS[1] lease (checked: only the holder may do this)
  KEYS[2] the mailbox's active list
  KEYS[3] the mailbox's wait list
  ARGV[1] lease value
  ARGV[2] the mailbox's key prefix ("<prefix>:<queue>:")
  Returns the number of jobs moved, or -1 without the lease.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local moved = 0
-- active is LPUSHed: its tail is the oldest; the wait list's tail is the next to run
local jobId = redis.call('LPOP', KEYS[2])
while jobId do
  redis.call('DEL', ARGV[2] .. jobId .. ':lock')
  redis.call('RPUSH', KEYS[3], jobId)
  moved = moved + 1
  jobId = redis.call('LPOP', KEYS[2])
end
-- the consumer may be blocked on the mailbox's marker, as after an add (BullMQ's addBaseMarkerIfNeeded)
if moved > 0 then
  redis.call('ZADD', ARGV[2] .. 'marker', 0, '0')
end
return moved

--[[
  Commits what one mailbox job produced — room snapshots, archive entries, indexes and the
  outbound stanzas — in one step, and only while the worker still holds the partition's lease
  (fencing). A worker that lost its lease writes nothing, so the new owner's replay is the
  only one that counts.
  KEYS[1] partition lease
  KEYS[2] the partition's outbound stream (the edge reads it)
  KEYS[3..] keys the ops name by index
  ARGV[1] the lease value the worker holds
  ARGV[2] outbound stanzas, already serialised in order ('' for none)
  ARGV[3] ops, a JSON array of
          {"o":"set","k":i,"v":s} {"o":"del","k":i} {"o":"sadd","k":i,"m":s} {"o":"srem","k":i,"m":s}
          {"o":"archive","k":list,"i":ids,"id":stanza id,"v":entry}  (appended once per stanza id)
  Returns 1, or -1 when the lease is not held (nothing written).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
for _, op in ipairs(cjson.decode(ARGV[3])) do
  local key = KEYS[op.k]
  if op.o == 'set' then
    redis.call('SET', key, op.v)
  elseif op.o == 'del' then
    redis.call('DEL', key)
  elseif op.o == 'sadd' then
    redis.call('SADD', key, op.m)
  elseif op.o == 'srem' then
    redis.call('SREM', key, op.m)
  elseif op.o == 'archive' then
    if redis.call('HSETNX', KEYS[op.i], op.id, 1) == 1 then
      redis.call('RPUSH', key, op.v)
    end
  end
end
if ARGV[2] ~= '' then
  redis.call('XADD', KEYS[2], '*', 's', ARGV[2])
end
return 1

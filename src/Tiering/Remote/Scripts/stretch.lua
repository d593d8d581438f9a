-- A function for scripts that list a value in group sets (indexes and tags) or change a listed value's life.
-- stretch(key, px, t): after a member with Redis life px (-1: none) joins set `key`, whose PTTL was t before
-- (-2: it did not exist), makes the set live at least as long as the member.
local function stretch(key, px, t)
  if px < 0 then
    if t >= 0 then redis.call('PERSIST', key) end
  elseif t == -2 or (t >= 0 and t < px) then
    redis.call('PEXPIRE', key, px)
  end
end

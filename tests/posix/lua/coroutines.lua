-- Coroutines: generators, passing values both ways, status, wrap, errors
-- inside coroutines, yield across pcall, close.
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i * i) end
  end)
end
local out = {}
for v in gen(6) do out[#out + 1] = v end
print(table.concat(out, " "))
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return "done", d + e
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co), coroutine.resume(co, 10))
print(coroutine.resume(co, 3, 4))
print(coroutine.status(co), coroutine.resume(co))
local bad = coroutine.create(function() error("inside") end)
print(coroutine.resume(bad))
local bad2 = coroutine.create(function() error({ code = 7 }) end)
local ok, e = coroutine.resume(bad2)
print(ok, type(e), e.code)
local y = coroutine.wrap(function()
  local ok2, v = pcall(function() return coroutine.yield("from pcall") + 1 end)
  coroutine.yield(tostring(ok2) .. " " .. v)
end)
print(y(), y(41))
local c2 = coroutine.create(function() coroutine.yield() end)
coroutine.resume(c2)
print(coroutine.close(c2), coroutine.status(c2), coroutine.isyieldable(), select(2, coroutine.running()))

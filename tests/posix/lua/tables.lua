-- Tables and closures: sort with comparators, table.move/concat/unpack,
-- metatables (__index, __newindex, __call, __eq, __lt, __len, __tostring,
-- __close), closures with shared upvalues, varargs.
local t = { 5, 2, 8, 1, 9, 3 }
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, " "))
table.insert(t, 1, 100); table.insert(t, 7); print(table.remove(t), table.remove(t, 1), #t)
print(table.concat(table.move({ 1, 2, 3 }, 1, 3, 2, { 0 }), ","), select("#", table.unpack({ 1, nil, 3 }, 1, 3)))
local words = { "pear", "Apple", "fig", "banana" }
table.sort(words, function(a, b) return a:lower() < b:lower() end)
print(table.concat(words, ","))
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x, y = a.y + b.y }, V) end
V.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V.__lt = function(a, b) return a.x < b.x end
V.__len = function(a) return math.sqrt(a.x * a.x + a.y * a.y) end
V.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
V.__call = function(a, k) return a.x * k end
local function vec(x, y) return setmetatable({ x = x, y = y }, V) end
local a, b = vec(3, 4), vec(1, 2)
print(tostring(a + b), a == vec(3, 4), b < a, #a, a(10))
local log = {}
local proxy = setmetatable({}, { __newindex = function(_, k, v) log[#log + 1] = k .. "=" .. tostring(v) end })
proxy.one = 1; proxy.two = true
print(table.concat(log, " "), rawget(proxy, "one"))
local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
inc(); inc(); inc()
print(get(), inc(), get())
local function va(...) return select("#", ...), ... end
print(va(1, nil, 3, nil))
do
  local order = {}
  do
    local x <close> = setmetatable({}, { __close = function() order[#order + 1] = "closed x" end })
    local y <close> = setmetatable({}, { __close = function() order[#order + 1] = "closed y" end })
    order[#order + 1] = "body"
  end
  print(table.concat(order, ", "))
end
local keys = {}
for k in pairs({ alpha = 1, beta = 2, gamma = 3 }) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys, " "), next({}), #{ n = 1 })

-- Errors: error with levels and values, pcall/xpcall with a traceback
-- handler, assert, error objects with __tostring, runtime errors' messages,
-- and at the end an uncaught error (its message and traceback on stderr,
-- exit status 1).
print(pcall(error, "plain"))
print(pcall(error, "no position", 0))
print(pcall(function() error("level 1") end))
print(pcall(function() local function f() error("level 2", 2) end f() end))
print(pcall(error))
print(pcall(error, nil))
print(select("#", pcall(error, 42)), pcall(error, 42))
print(pcall(assert, false, "assert message"))
print(pcall(assert, 1 == 1, "unused"))
print(pcall(function() return nil + 1 end))
print(pcall(function() local t = nil; return t.field end))
print(pcall(function() return #5 end))
print(pcall(function() return ("x"):bad() end))
print(pcall(string.rep))
print(pcall(setmetatable, 1, {}))
local E = setmetatable({}, { __tostring = function() return "custom error object" end })
print(select(2, pcall(error, E)) == E, tostring(E))
print(xpcall(function() error("with handler") end, function(m) return "handled: " .. m end))
print(xpcall(function(a, b) return a + b end, print, 2, 3))
local function deep(n) if n == 0 then error("deep") end return deep(n - 1) end
local _, tb = xpcall(deep, debug.traceback, 3)
print(tb)
print(string.format("%d", 3.0), pcall(string.format, "%d", 3.5))
print(math.type(1), math.type(1.0), math.type("1"), tonumber("0x1F"), tonumber("z", 36), tonumber("1e2"))
error("uncaught at the end")

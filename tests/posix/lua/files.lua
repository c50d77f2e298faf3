-- io and os: write a file, read it back by lines, numbers and all,
-- append, seek, remove, rename, and os.time/os.date/os.clock/os.getenv.
-- Runs in the current directory's /tmp-like place given as arg[1].
local dir = arg[1] or "."
local name = dir .. "/lua-files-test.txt"
local f = assert(io.open(name, "w"))
f:write("line one\n", "line two\n", 42, " ", 3.5, "\n")
f:close()
for l in io.lines(name) do io.write("[", l, "]") end
print()
f = assert(io.open(name, "r"))
print(f:read("l"), f:read("L"), f:read("n"), f:read("n"), f:read("a"))
print(f:seek("set", 5), f:read(3), f:seek("cur"), f:seek("end"))
f:close()
f = assert(io.open(name, "a")); f:write("appended\n"); f:close()
f = assert(io.open(name)); local all = f:read("a"); f:close()
print(#all, select(2, all:gsub("\n", "")))
print(io.open(dir .. "/no/such/file"))
print(os.rename(name, name .. ".2"), io.open(name), io.type(io.stdout), io.type(f))
print(os.remove(name .. ".2"), os.remove(name .. ".2"))
print(os.time({ year = 2024, month = 2, day = 29, hour = 12 }), os.date("!%Y-%m-%d %H:%M:%S", 1709208000))
local d = os.date("!*t", 86400 * 366)
print(d.year, d.month, d.day, d.yday, d.wday, d.isdst)
print(type(os.time()), os.time() > 1.7e9, type(os.clock()), os.getenv("AION_NO_SUCH_VAR"))
-- os.clock is CPU time: work costs some, and it never runs backwards.
local c0, x = os.clock(), 0
for i = 1, 200000 do x = x + i % 7 end
print(x, os.clock() > c0, os.clock() >= c0)

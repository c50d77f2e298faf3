-- Strings: formatting, patterns, gsub with functions and tables, byte
-- and char, utf8, string.pack. Deterministic output only (posix-diff).
print(string.format("%5d|%-5d|%05.1f|%e|%g|%a", 42, -7, 3.14159, 12345.678, 1e-5, 1.0))
print(string.format("%q", 'tab\tquote"nl\nend\0zero'))
print(("hello world from lua"):gsub("o", "0"))
print(("key=val, k2=v2"):gsub("(%w+)=(%w+)", "%2=%1"))
print(("$name is $age"):gsub("%$(%w+)", { name = "ada", age = 36 }))
print(("abc"):gsub(".", function(c) return c:byte() .. " " end))
for w in ("one two  three"):gmatch("%a+") do io.write("[", w, "]") end
print()
print(("  trim me  "):match("^%s*(.-)%s*$"), ("2026-12-04"):match("(%d+)-(%d+)-(%d+)"))
print(string.find("a.b.c", ".", 1, true), string.find("abc", "b()"))
print(string.rep("ab", 3, ","), ("Lua"):reverse(), ("MiXeD"):lower(), #"\u{20AC}")
print(utf8.char(72, 228, 8364, 128512), utf8.len("h\u{e4}\u{20ac}"))
for p, c in utf8.codes("a\u{e4}") do io.write(p, ":", c, " ") end
print()
local packed = string.pack("<i4 d s1", 7, 2.5, "xy")
print(#packed, string.unpack("<i4 d s1", packed))
print(tostring(1e15), tostring(2^63), math.tointeger(3.0), 10 // 3, 10.0 // 3, -7 % 3)
print(string.format("%.14g", 0.1 + 0.2), 0.1 + 0.2 == 0.3, 1/3)

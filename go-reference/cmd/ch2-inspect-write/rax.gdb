# Claim C10: what does RAX hold in runtime.mapassign_fast64?
# Run by gdb-rax.sh as: gdb -batch -nx -x rax.gdb ch2-inspect-write
# Go's register ABI (ABIInternal, amd64) passes the first integer arguments
# in RAX, RBX, RCX, ... and returns the first result in RAX.
set pagination off
set confirm off
set print thread-events off
set trace-commands on
# Go's asynchronous preemption (SIGURG) can interrupt gdb stepping over a
# breakpoint; the goroutine then resumes on another thread and hits the same
# breakpoint twice. Turning it off, and one-shot breakpoints (tbreak), keep
# the session the same every time.
set environment GODEBUG=asyncpreemptoff=1
# Stop in main.write first, so that the next stop in mapassign_fast64 is
# the write of key 42 and not one of main's 64 earlier writes.
tbreak main.write
run
tbreak runtime.mapassign_fast64
continue
# On entry: RAX is the first argument, the map's type; RBX the map; RCX the key.
info registers rax rbx rcx
p typ
p typ.SlotSize
p typ.Key.Size_
# Run to the return: now RAX is the result, a pointer to the value's slot.
finish
p/x $rax
# The slot holds the old value; main.write has not stored the new one yet.
x/dg $rax
set $slot = $rax
tbreak main.report
continue
# After main.write's MOVQ DX, 0(AX): the slot holds the new value.
x/dg $slot
# Write through the pointer; the program's own lookup of m[42] sees it.
set language c
set var *(long *)$slot = 99
set language auto
# Let the program print m[42], and stop it at its exit: gdb reporting the
# exit of a many-threaded process itself can fail ("No such process").
tbreak runtime.exit
continue
kill

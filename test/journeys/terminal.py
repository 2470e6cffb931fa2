#!/usr/bin/env python3
"""Drives a command in a pseudo-terminal of its own, as a user at a terminal would (for
terminal.ts): the command starts with the terminal as its stdin, stdout, stderr and controlling
terminal, sized ROWSxCOLS; then each step of the JSON script runs in turn:

  {"expect": REGEX}                   wait until the output so far matches
  {"send": TEXT}                      type TEXT
  {"send": TEXT, "until": REGEX}      type TEXT again every half second until the output matches
  {"resize": [ROWS, COLS]}            resize the terminal (the kernel signals SIGWINCH)

and the command's exit is awaited. Prints one JSON line: the output (latin-1 text), the exit
status (128+N for signal N), and the step that timed out, if one did (the command is then killed).
Usage: terminal.py SCRIPT_JSON TIMEOUT_S ROWS COLS COMMAND [ARG...]
"""
import fcntl
import json
import os
import re
import select
import signal
import struct
import sys
import termios
import time

steps = json.loads(sys.argv[1])
timeout = float(sys.argv[2])
rows, cols = int(sys.argv[3]), int(sys.argv[4])
argv = sys.argv[5:]


def set_size(fd, r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))


master, slave = os.openpty()
set_size(slave, rows, cols)
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    os.execvp(argv[0], argv)
os.close(slave)

output = b''
closed = False


def pump(seconds):
    """Read what the command writes for up to `seconds` (less once the terminal closes)."""
    global output, closed
    end = time.monotonic() + seconds
    while not closed:
        left = end - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            return
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every slave end is closed
            data = b''
        if not data:
            closed = True
            return
        output += data


def text():
    return output.decode('latin-1')


def finish(status, failed):
    print(json.dumps({'output': text(), 'status': status, 'timedOut': failed}))
    sys.exit(0)


deadline = time.monotonic() + timeout
for step in steps:
    pattern = step.get('expect') or step.get('until')
    if 'resize' in step:
        set_size(master, *step['resize'])
        continue
    if 'send' in step:
        os.write(master, step['send'].encode())
    start = len(output) if 'until' in step else 0
    while pattern is not None and not re.search(pattern, text()[start:]):
        if time.monotonic() > deadline or closed:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            finish(None, step)
        pump(0.5)
        if 'until' in step and not re.search(pattern, text()[start:]):
            os.write(master, step['send'].encode())

while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        finish(None, {'exit': True})
    pump(0.1)
pump(0.2)
finish(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status), None)

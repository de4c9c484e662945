"""Drives a `codexkey` command on a pseudo-terminal, as a person would: waits for each prompt and
types its answer. For the CLI's interactive paths (hidden password prompts, the QR code of
`account 2fa enable`, the code prompt of `login`), which refuse to run without a terminal.

    cli_tty.py STEPS_JSON CODEXKEY_BIN ARGS...

STEPS_JSON is a list of `[prompt, answer]`. An answer `totp-shown:N` is the code, N steps from
now, of the secret the command printed (`… type in the secret BASE32`); `totp:SECRET:N` the code
of a given secret. Prints everything the command wrote to the terminal and exits with its code.
"""

import json
import os
import pty
import re
import select
import sys
import time

import pyotp

TIMEOUT = 30


def answer(spec, seen):
    if spec.startswith("totp-shown:"):
        found = re.search(rb"type in the secret ([A-Z2-7]+)", seen)
        if not found:
            sys.exit(f"no secret shown in {seen!r}")
        secret, offset = found.group(1).decode(), int(spec.split(":")[1])
    elif spec.startswith("totp:"):
        _, secret, offset = spec.split(":")
        offset = int(offset)
    else:
        return spec
    return pyotp.TOTP(secret).at(int(time.time()) + 30 * offset)


def main():
    steps = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    seen = b""

    def read_more(deadline):
        nonlocal seen
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not ready:
            return False
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            return None
        if not chunk:
            return None
        seen += chunk
        return True

    for prompt, spec in steps:
        deadline = time.time() + TIMEOUT
        while prompt.encode() not in seen:
            got = read_more(deadline)
            if not got:
                sys.stdout.write(seen.decode("utf-8", "replace"))
                sys.exit(f"\nno prompt {prompt!r} ({'timed out' if got is False else 'ended'})")
        # A prompt is answered once: forget it so the next identical prompt is waited for.
        seen = seen.replace(prompt.encode(), b"<" + prompt.strip().encode() + b">", 1)
        os.write(fd, (answer(spec, seen) + "\n").encode())
    deadline = time.time() + TIMEOUT
    while read_more(deadline):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode("utf-8", "replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()

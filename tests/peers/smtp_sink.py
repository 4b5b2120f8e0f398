"""A real SMTP server for the tests (aiosmtpd): every message received is written whole to
OUTDIR as NNNNNN.eml. With SLOW_MS, each message waits that long before it is accepted (so a
test can kill the sender mid-send). Prints "ready" once it listens."""
import asyncio
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, slow_ms):
        self.out = out
        self.slow = slow_ms / 1000.0
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        if self.slow:
            await asyncio.sleep(self.slow)
        self.n += 1
        path = os.path.join(self.out, f"{self.n:06d}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    controller = Controller(Sink(out, int(os.environ.get("SLOW_MS", "0"))), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin (or kills us)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()

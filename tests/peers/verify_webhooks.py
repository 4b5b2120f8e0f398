"""Verifies recorded webhook deliveries with the standardwebhooks package (an implementation
independent of FourthP's). Reads {"secret": ..., "deliveries": [{"headers": {...}, "body": "..."}]}
from standard input; prints the verified payloads as JSON, or exits 1 naming the first that fails."""
import json
import sys

from standardwebhooks.webhooks import Webhook


def main():
    given = json.load(sys.stdin)
    hook = Webhook(given["secret"])
    verified = []
    for d in given["deliveries"]:
        try:
            verified.append(hook.verify(d["body"], d["headers"]))
        except Exception as e:  # noqa: BLE001 - the test wants the reason
            print(f"verification failed for {d['headers'].get('webhook-id')}: {e}", file=sys.stderr)
            sys.exit(1)
    json.dump(verified, sys.stdout)


if __name__ == "__main__":
    main()

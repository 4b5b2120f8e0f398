"""Parses every .eml in a directory with Python's own email package (an implementation
independent of the sender's) and prints them as JSON: headers, the content types of the parts,
and the decoded plain text and HTML."""
import email
import email.policy
import json
import os
import sys


def main():
    out = []
    folder = sys.argv[1]
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(folder, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        parts = [p.get_content_type() for p in msg.walk()]
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        out.append({
            "file": name,
            "headers": {k.lower(): str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "parts": parts,
            "text": text.get_content() if text else None,
            "html": html.get_content() if html else None,
            "raw": open(os.path.join(folder, name), "rb").read().decode("utf-8", "replace"),
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

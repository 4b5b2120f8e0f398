"""Parses an iCalendar feed from standard input with the icalendar package (RFC 5545) and prints
its calendar's properties and its events as JSON; exits 1 if it does not parse."""
import json
import sys

from icalendar import Calendar


def main():
    cal = Calendar.from_ical(sys.stdin.buffer.read())
    events = []
    for ev in cal.walk("VEVENT"):
        events.append({
            "uid": str(ev.get("UID")),
            "summary": str(ev.get("SUMMARY")),
            "description": str(ev.get("DESCRIPTION", "")),
            "dtstart": ev.decoded("DTSTART").isoformat(),
            "dtstamp": ev.decoded("DTSTAMP").isoformat(),
        })
    json.dump({"prodid": str(cal.get("PRODID")), "version": str(cal.get("VERSION")), "events": events}, sys.stdout)


if __name__ == "__main__":
    main()

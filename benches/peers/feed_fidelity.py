"""Feed fidelity: postbode's posts against Python feedparser's entries.

For every feed file given (or every file under a folder given), runs
`postbode posts --json` on the file alone and feedparser on the same bytes,
pairs entries by link, and counts how often titles, links and dates agree.
Titles are compared as text (tags stripped, entities decoded, whitespace
collapsed); dates to the second in UTC; an entry postbode skips (no http(s)
link) counts as a disagreement on all three. Also reports any file on which
postbode crashed or took more than 10 s.

usage: python3 benches/peers/feed_fidelity.py target/release/postbode FILE_OR_DIR...
"""
import calendar
import html
import json
import os
import re
import subprocess
import sys
import tempfile

import feedparser

TAG = re.compile(r"<[^>]*>")


def text(s):
    s = html.unescape(TAG.sub(" ", s or ""))
    return " ".join(s.split())


def entry_date(e):
    t = e.get("published_parsed") or e.get("updated_parsed")
    return calendar.timegm(t) if t else None


def post_date(p):
    from datetime import datetime

    return int(datetime.fromisoformat(p["date"]).timestamp())


def files(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, names in os.walk(a):
                for n in sorted(names):
                    yield os.path.join(root, n)
        else:
            yield a


def main():
    binary, targets = sys.argv[1], sys.argv[2:]
    counts = {"entries": 0, "title": 0, "link": 0, "date": 0, "dated": 0}
    crashes, slow, per_file = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files(targets):
            config = os.path.join(tmp, "config.toml")
            with open(config, "w") as f:
                f.write(
                    '[site]\nsource = %s\nkind = "feed"\n[delivery]\nstate_dir = %s\n'
                    % (json.dumps(os.path.abspath(path)), json.dumps(os.path.join(tmp, "state")))
                )
            try:
                run = subprocess.run(
                    [binary, "--config", config, "-q", "posts", "--since", "1970-01-02",
                     "--until", "2100-01-01", "--json"],
                    capture_output=True, timeout=10,
                )
            except subprocess.TimeoutExpired:
                slow.append(path)
                continue
            if run.returncode not in (0, 1) or b"panicked" in run.stderr:
                crashes.append((path, run.returncode, run.stderr.decode(errors="replace")[-300:]))
                continue
            try:
                posts = json.loads(run.stdout or b"[]")
            except ValueError:
                posts = []
            by_link = {p["url"]: p for p in posts}
            parsed = feedparser.parse(open(path, "rb").read())
            agree = {"title": 0, "link": 0, "date": 0, "dated": 0}
            n = 0
            for e in parsed.entries:
                link = e.get("link")
                if not link:
                    continue
                n += 1
                p = by_link.get(link)
                if p is None:
                    continue
                agree["link"] += 1
                if text(e.get("title")) == text(p["title"]):
                    agree["title"] += 1
                d = entry_date(e)
                if d is not None:
                    agree["dated"] += 1
                    if d == post_date(p):
                        agree["date"] += 1
            counts["entries"] += n
            for k in agree:
                counts[k] += agree[k]
            per_file.append((path, n, agree))
    for path, n, a in per_file:
        print("%-50s entries %4d  titles %4d  links %4d  dates %4d/%d"
              % (os.path.basename(path)[:50], n, a["title"], a["link"], a["date"], a["dated"]))
    n = counts["entries"] or 1
    print("files: %d, entries with a link (feedparser): %d" % (len(per_file), counts["entries"]))
    print("titles agree: %.1f%%" % (100.0 * counts["title"] / n))
    print("links agree:  %.1f%%" % (100.0 * counts["link"] / n))
    print("dates agree:  %.1f%% (of %d entries feedparser dates)"
          % (100.0 * counts["date"] / (counts["dated"] or 1), counts["dated"]))
    print("crashes: %d, over 10 s: %d" % (len(crashes), len(slow)))
    for c in crashes:
        print("  crash:", c)
    for s in slow:
        print("  slow:", s)


main()

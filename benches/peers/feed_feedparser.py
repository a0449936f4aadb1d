"""Parses a feed file with feedparser RUNS times (after one warm-up) and
prints the median seconds of one parse. usage: feed_feedparser.py FILE RUNS"""
import statistics
import sys
import time

import feedparser

path, runs = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
feedparser.parse(data)
times = []
for _ in range(runs):
    start = time.perf_counter()
    parsed = feedparser.parse(data)
    times.append(time.perf_counter() - start)
assert len(parsed.entries) > 0, parsed.bozo_exception
print(statistics.median(times))

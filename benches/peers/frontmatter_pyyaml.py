"""Peer for the load benchmark: what a Python digest tool does.

Reads every file under a `_posts` folder and parses its front matter with
PyYAML's C loader. usage: python3 frontmatter_pyyaml.py SITE/_posts
Prints: posts parsed, failures, seconds, loader name.
"""
import os, sys, time, yaml

root = sys.argv[1]
t = time.time(); n = 0; bad = 0
Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
for dp, dn, fn in os.walk(root):
    for f in fn:
        p = os.path.join(dp, f)
        with open(p, 'rb') as fh:
            data = fh.read()
        s = data.decode('utf-8', 'replace')
        if s.startswith('---'):
            end = s.find('\n---', 3)
            if end > 0:
                try:
                    yaml.load(s[3:end], Loader=Loader); n += 1
                except Exception:
                    bad += 1
print(n, bad, round(time.time() - t, 2), Loader.__name__)

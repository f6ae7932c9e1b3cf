#!/usr/bin/env python3
"""check_layers.py SRC_DIR INCLUDE_DIR [LIBSINSPACE.so]: keeps the layers
of docs/architecture.md true.

1. SQL lives in src/store/ alone: no sqlite3 name, no store/store_int.h and
   no SQL statement in a string literal in any other folder.
2. Components include only themselves and the components below them
   (core < store < geo < io < render < serve; cli sees only the public
   headers), and no header includes itself through others (no circle).
3. No reserved name: nothing in src/ or include/ starts with _sinspace.
4. With the library's path: `nm -D --defined-only` lists only sinspace_*
   symbols (the public API; internals are sinspace__* and hidden).
Prints every violation with file and line; exits 1 if there is any."""
import os
import re
import subprocess
import sys

ORDER = ['core', 'store', 'geo', 'io', 'render', 'serve']
SQL = re.compile('|'.join([
    r'\bSELECT\b.*\bFROM\b', r'\bINSERT\s+(OR\s+\w+\s+)?INTO\b',
    r'\bUPDATE\s+\w+\s+SET\b', r'\bDELETE\s+FROM\b',
    r'\bCREATE\s+(TABLE|INDEX|UNIQUE|VIEW|TRIGGER|VIRTUAL)\b',
    r'\bDROP\s+(TABLE|INDEX|VIEW|TRIGGER)\b', r'\bPRAGMA\s+\w+',
    r'\bBEGIN\s*(IMMEDIATE|TRANSACTION|;|$)', r'\bCOMMIT\b', r'\bROLLBACK\b',
    r'\bSAVEPOINT\b', r'\bWITH\s+\w+\s+AS\s*\(',
    r'^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|ATTACH)\s',
    r'\b(FROM|WHERE|JOIN|VALUES|ORDER BY|GROUP BY)\s+[\w(?]',
]))
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def sources(root):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(('.c', '.h')):
                yield os.path.join(d, f)


def main():
    src, inc = sys.argv[1], sys.argv[2]
    lib = sys.argv[3] if len(sys.argv) > 3 else None
    bad = []
    graph = {}
    for path in sources(src):
        rel = os.path.relpath(path, src)
        comp = rel.split(os.sep)[0] if os.sep in rel else ''
        text = open(path, encoding='utf-8', errors='replace').read()
        # Comments may name SQL; string literals and code may not.
        code = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'),
                      text, flags=re.S)
        code = re.sub(r'//[^\n]*', '', code)
        graph[rel] = []
        for n, line in enumerate(code.split('\n'), 1):
            if comp != 'store':
                if 'sqlite3' in line:
                    bad.append('%s:%d: sqlite3 outside src/store/' % (rel, n))
                for s in STRING.findall(line):
                    if SQL.search(s):
                        bad.append('%s:%d: SQL outside src/store/: "%s"' % (rel, n, s[:60]))
            m = INCLUDE.match(line)
            if m:
                target = m.group(1)
                graph[rel].append((n, target))
                tcomp = target.split('/')[0] if '/' in target else comp
                if comp == 'cli':
                    if '/' in target:
                        bad.append('%s:%d: the command includes library internals (%s)'
                                   % (rel, n, target))
                    continue
                if target == 'store/store_int.h' and comp != 'store':
                    bad.append('%s:%d: store/store_int.h outside src/store/' % (rel, n))
                if comp in ORDER and tcomp in ORDER and ORDER.index(tcomp) > ORDER.index(comp):
                    bad.append('%s:%d: %s/ reaches up to %s/ (%s)' % (rel, n, comp, tcomp, target))
            if re.search(r'(^|[^A-Za-z0-9_])_sinspace', line):
                bad.append('%s:%d: reserved name _sinspace...' % (rel, n))
    for path in sources(inc):
        for n, line in enumerate(open(path, encoding='utf-8'), 1):
            if re.search(r'(^|[^A-Za-z0-9_])_sinspace', line):
                bad.append('%s:%d: reserved name _sinspace...' % (path, n))
    # Include circles among the library's own headers.
    def resolve(rel, target):
        cand = target if '/' in target else os.path.join(os.path.dirname(rel), target)
        return cand if cand in graph else None
    state = {}
    def visit(node, stack):
        state[node] = 1
        for _, t in graph[node]:
            r = resolve(node, t)
            if not r:
                continue
            if state.get(r) == 1:
                bad.append('include circle: %s' % ' -> '.join(stack[stack.index(r):] + [r]))
            elif not state.get(r):
                visit(r, stack + [r])
        state[node] = 2
    for node in graph:
        if not state.get(node):
            visit(node, [node])
    if lib:
        out = subprocess.run(['nm', '-D', '--defined-only', lib], check=True,
                             capture_output=True, text=True).stdout
        names = [l.split()[-1] for l in out.splitlines() if l.strip()]
        for name in names:
            if not name.startswith('sinspace_') or name.startswith('sinspace__'):
                bad.append('%s exports %s' % (os.path.basename(lib), name))
        if not names:
            bad.append('%s exports nothing' % lib)
    for b in bad:
        print(b)
    print('%d violation(s)' % len(bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

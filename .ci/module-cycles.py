#!/usr/bin/env python3
"""Import cycles between the modules of Rust crates.

For each `crates/<name>/src` directory given, builds the graph "module A
names module B" from every `crate::b…` path in A (use lines and inline
paths, comments left out; the crate root is not a node, since every module
names `crate::ApiState`-like root items and the root declares them all) and
prints each strongly connected component of more than one module. Exits 1
when there is one.

    .ci/module-cycles.py crates/tern-api/src crates/tern-core/src
"""
import os
import re
import sys


def graph_of(src):
    texts = {}
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith('.rs'):
                path = os.path.join(root, f)
                module = os.path.relpath(path, src)[:-3]
                if module.endswith('/mod'):
                    module = module[:-4]
                if module in ('lib', 'main'):
                    continue
                with open(path) as fh:
                    texts[module.replace('/', '::')] = re.sub(r'//[^\n]*', '', fh.read())
    names = set(texts)
    graph = {m: set() for m in names}

    def add(m, path):
        for i in range(len(path), 0, -1):
            candidate = '::'.join(path[:i])
            if candidate in names:
                if candidate != m and not candidate.startswith(m + '::'):
                    graph[m].add(candidate)
                return

    for m, text in texts.items():
        for group in re.finditer(r'crate::\{([^}]*)\}', text):
            for part in group.group(1).split(','):
                add(m, part.strip().split('::'))
        for ref in re.finditer(r'crate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)', text):
            add(m, ref.group(1).split('::'))
    return graph


def cycles(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    found = False
    for src in sys.argv[1:]:
        graph = graph_of(src)
        for component in cycles(graph):
            found = True
            print(f'{src}: import cycle among {", ".join(component)}')
            for m in component:
                print(f'    {m} -> {", ".join(sorted(d for d in graph[m] if d in component))}')
    if not found:
        print('no import cycles in', ', '.join(sys.argv[1:]))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())

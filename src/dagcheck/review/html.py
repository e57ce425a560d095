"""The review as one self-contained HTML page: inline CSS, no scripts, nothing fetched.

Each pipeline's graph is drawn as inline SVG in layers, left to right: a task's layer is the
length of the longest path from a task without upstream to it. All text from the checked
files goes through ``html.escape``.
"""

from __future__ import annotations

import html
from typing import TextIO

from dagcheck.checklist import load_checklist
from dagcheck.graph import nodes_and_edges
from dagcheck.review import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    WARN,
    PipelineReview,
    Review,
    ReviewedFinding,
)
from dagcheck.review.render import RenderOptions
from dagcheck.review.text import (
    FIX_HINTS,
    MARKS,
    TOP_GAPS,
    code_ranges,
    fact_rows,
)
from dagcheck.text_safety import printable

_CLASSES = {PASS: "pass", WARN: "warn", FAIL: "fail", NOT_APPLICABLE: "na"}
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;color:#1f2328;max-width:80rem;margin:2rem auto;
padding:0 1rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.25rem;margin:1.5rem 0 .25rem}
h3{font-size:1rem;margin:1rem 0 .25rem}
table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:.2rem .6rem;
border-bottom:1px solid #d8dee4}td.n{text-align:right}
code,svg text{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
section{border-top:2px solid #d8dee4;margin-top:2rem}.meta,.na{color:#656d76}
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e}.mark{font-weight:bold}
ul{padding-left:1.2rem;margin:.25rem 0}.fix{color:#0969da}.graph{overflow-x:auto}
svg rect{fill:#f6f8fa;stroke:#8c959f}svg line{stroke:#8c959f}svg path{fill:#8c959f}
"""

# The graph's geometry, in pixels: a monospace character, a box's height and padding, and the
# gaps between layers and between boxes of one layer.
_CHAR, _BOX, _PAD, _LAYER_GAP, _ROW_GAP, _MARGIN = 7.2, 24, 8, 48, 12, 4
_LABEL = 32  # characters shown in a box; the whole id is its tooltip


def render(review: Review, out: TextIO, options: RenderOptions) -> None:
    parts = [
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>dagcheck review</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n",
        _summary(review),
        _other_findings(review),
        *(_section(p, review, n) for n, p in enumerate(review.worst_first, 1)),
        "</body>\n</html>\n",
    ]
    out.write("".join(parts))


def _e(value: object) -> str:
    return html.escape(printable(str(value)))


def _mark(status: str) -> str:
    return f'<span class="mark {_CLASSES[status]}">{MARKS[status]}</span>'


def _table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """A table of cells already escaped; the columns in ``numeric`` align right."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def _summary(review: Review) -> str:
    pipelines = review.pipelines
    parts = [f"{len(pipelines)} pipeline{'' if len(pipelines) == 1 else 's'}"]
    if review.pass_rate is not None:
        parts.append(
            f"<strong>{review.pass_rate:.0%}</strong> of checklist items pass "
            f"({review.passed} of {review.applicable})"
        )
    findings = review.all_findings()
    fixable = {id(r.finding) for p in pipelines for r in p.findings if r.fix}
    noun = "finding" if len(findings) == 1 else "findings"
    parts.append(f"{len(findings)} {noun}" + (f", {len(fixable)} fixable" if fixable else ""))
    out = [f"<h1>dagcheck review</h1>\n<p>{' · '.join(parts)}</p>\n"]
    if pipelines:
        rows = [
            [
                f'<a href="#p{n}"><code>{_e(p.id)}</code></a>',
                f"<code>{_e(p.path)}:{p.pipeline.span.line}</code>",
                *(str(p.count(status)) for status in (FAIL, WARN, PASS)),
                str(len(p.findings)),
            ]
            for n, p in enumerate(review.worst_first, 1)
        ]
        header = ["Pipeline", "File", *(f"{_mark(s)} {s}" for s in (FAIL, WARN, PASS))]
        out += [
            "<h2>Pipelines, worst first</h2>\n",
            _table([*header, "Findings"], rows, (2, 3, 4, 5)),
        ]
    gaps = review.common_gaps[:TOP_GAPS]
    if gaps:
        rows = [[_e(g.item), f"{g.pipelines} of {len(pipelines)}"] for g in gaps]
        out += ["<h2>Most common gaps</h2>\n", _table(["Checklist item", "Pipelines"], rows, (1,))]
    rules = review.rule_counts[:TOP_GAPS]
    if rules:
        docs = load_checklist()
        rows = [
            [f"<code>{c}</code>", _e(docs[c].name if c in docs else ""), str(n)] for c, n in rules
        ]
        out += [
            "<h2>Rules with most findings</h2>\n",
            _table(["Rule", "Name", "Findings"], rows, (2,)),
        ]
    return "".join(out)


def _other_findings(review: Review) -> str:
    if not review.other_findings:
        return ""
    items = "".join(_finding(ReviewedFinding(f, None, None), review) for f in review.other_findings)
    return f"<h2>Outside any pipeline</h2>\n<ul>\n{items}</ul>\n"


def _section(review: PipelineReview, root: Review, number: int) -> str:
    pipeline = review.pipeline
    framework = f"{pipeline.framework.capitalize()} {pipeline.framework_version}".rstrip()
    counts = " · ".join(f"{review.count(s)} {s}" for s in (FAIL, WARN, PASS))
    out = [
        f'<section id="p{number}">\n<h2><code>{_e(review.id)}</code></h2>\n',
        f'<p class="meta">{_e(framework)} · <code>{_e(review.path)}:{pipeline.span.line}</code>'
        f" · {counts}</p>\n",
    ]
    if not pipeline.complete:
        reasons = "; ".join(pipeline.incomplete_reasons) or "some tasks are built by code"
        out.append(f'<p class="meta">Partial graph: {_e(reasons)}</p>\n')
    scorecard = [
        [_mark(item.status), _e(item.item), f'<span class="na">{code_ranges(item.rules)}</span>']
        for item in review.items
    ]
    out += ["<h3>Scorecard</h3>\n", _table(["", "Checklist item", "Rules"], scorecard)]
    facts = [[_e(label), _e(value)] for label, value in fact_rows(review)]
    out += ["<h3>Facts</h3>\n", _table(["Fact", "Value"], facts)]
    scored = [item for item in review.items if item.findings]
    if scored:
        out.append("<h3>Findings</h3>\n")
        for item in scored:
            findings = "".join(_finding(r, root) for r in item.findings)
            out.append(f"<p>{_mark(item.status)} {_e(item.item)}</p>\n<ul>\n{findings}</ul>\n")
    out += ["<h3>Graph</h3>\n", _graph(review, number), "</section>\n"]
    return "".join(out)


def _finding(reviewed: ReviewedFinding, root: Review) -> str:
    finding = reviewed.finding
    location = f"{root.relative(finding.path)}:{finding.span.line}:{finding.span.column}"
    fix = ""
    if reviewed.fix in FIX_HINTS:
        fix = f' <span class="fix">fix: <code>{FIX_HINTS[reviewed.fix]}</code></span>'
    return (
        f"<li><code>{_e(location)}</code> <strong>{_e(finding.code)}</strong> "
        f"{_e(finding.message)}{fix}</li>\n"
    )


# -- the graph -----------------------------------------------------------------------------


def layers(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each task's layer: the length of the longest path from a task without upstream to it.
    A task on a cycle goes one layer after its upstream tasks placed before it (itself, when
    it is its own upstream, does not count: its layer would be left empty)."""
    downstream: dict[str, list[str]] = {name: [] for name in names}
    waiting = dict.fromkeys(names, 0)
    for up, down in edges:
        downstream[up].append(down)
        waiting[down] += 1
    layer = dict.fromkeys(names, 0)
    placed: set[str] = set()
    ready = [name for name in names if waiting[name] == 0]
    for name in ready:  # grows while it is walked: Kahn's topological order
        placed.add(name)
        for down in downstream[name]:
            layer[down] = max(layer[down], layer[name] + 1)
            waiting[down] -= 1
            if waiting[down] == 0:
                ready.append(down)
    for name in names:  # on a cycle: after the upstream tasks already placed
        if name not in placed:
            placed.add(name)
            ups = [layer[up] + 1 for up, down in edges if down == name != up and up in placed]
            layer[name] = max([layer[name], *ups])
    return layer


def _graph(review: PipelineReview, number: int) -> str:
    names, edges = nodes_and_edges(review.pipeline)
    if not names:
        return '<p class="meta">No tasks.</p>\n'
    layer = layers(names, edges)
    columns: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for name in names:
        columns[layer[name]].append(name)
    upstream: dict[str, list[str]] = {name: [] for name in names}
    for up, down in edges:
        upstream[down].append(up)
    row: dict[str, float] = {}
    for column in columns:  # order each layer by where its upstream tasks sit: fewer crossings
        column.sort(key=lambda n: _mean([row[u] for u in upstream[n] if u in row], len(row)))
        row |= {name: index for index, name in enumerate(column)}
    labels = {n: n if len(n) <= _LABEL else n[: _LABEL - 1] + "…" for n in names}
    box = {n: len(labels[n]) * _CHAR + 2 * _PAD for n in names}
    x: dict[str, float] = {}
    left = float(_MARGIN)
    for column in columns:
        x |= dict.fromkeys(column, left)
        left += max(box[n] for n in column) + _LAYER_GAP
    y = {n: _MARGIN + row[n] * (_BOX + _ROW_GAP) for n in names}
    width = left - _LAYER_GAP + _MARGIN
    height = 2 * _MARGIN + max(len(c) for c in columns) * (_BOX + _ROW_GAP) - _ROW_GAP
    arrow = f"a{number}"
    parts = [
        f'<div class="graph"><svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="dependency graph">\n',
        f'<defs><marker id="{arrow}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z"/></marker></defs>\n',
    ]
    for up, down in edges:
        parts.append(
            f'<line x1="{x[up] + box[up]:.0f}" y1="{y[up] + _BOX / 2:.0f}" x2="{x[down]:.0f}" '
            f'y2="{y[down] + _BOX / 2:.0f}" marker-end="url(#{arrow})"/>\n'
        )
    for n in names:
        parts.append(
            f'<g><title>{_e(n)}</title><rect x="{x[n]:.0f}" y="{y[n]:.0f}" '
            f'width="{box[n]:.0f}" height="{_BOX}" rx="4"/><text x="{x[n] + _PAD:.0f}" '
            f'y="{y[n] + _BOX / 2 + 4:.0f}">{_e(labels[n])}</text></g>\n'
        )
    return "".join([*parts, "</svg></div>\n"])


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default

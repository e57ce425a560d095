"""A pipeline's dependency graph: its tasks and edges as Mermaid, and its longest path.

Reviews and runbooks draw the graph as a Mermaid ``flowchart``, which GitHub renders as a
picture in Markdown. Node ids are generated (``t0``, ``t1``, ...) because task ids may hold
characters Mermaid gives a meaning to; the task id is the node's quoted label.
"""

from __future__ import annotations

from dagcheck.model.pipeline import Pipeline, Task
from dagcheck.text_safety import printable

# Characters that end, break or restyle a quoted Mermaid label (a backtick starts a Markdown
# string), as Mermaid's numeric entity codes.
_LABEL_ESCAPES = {char: f"#{ord(char)};" for char in '#"<>&`'}


def task_name(task: Task) -> str:
    """A task's id as written, or the source of an id the model could not resolve."""
    return task.id if isinstance(task.id, str) else task.id.text


def nodes_and_edges(pipeline: Pipeline) -> tuple[list[str], list[tuple[str, str]]]:
    """The pipeline's task names in model order, and its edges between them, each once."""
    names = list(dict.fromkeys(task_name(task) for task in pipeline.tasks))
    known = set(names)
    edges = [
        (edge.upstream, edge.downstream)
        for edge in pipeline.edges
        if edge.upstream in known and edge.downstream in known
    ]
    return names, list(dict.fromkeys(edges))


def mermaid(pipeline: Pipeline, direction: str = "LR") -> str:
    """The graph as a Mermaid flowchart (without the surrounding code fence)."""
    names, edges = nodes_and_edges(pipeline)
    node_ids = {name: f"t{index}" for index, name in enumerate(names)}
    lines = [f"flowchart {direction}"]
    lines += [f'    {node_ids[name]}["{_label(name)}"]' for name in names]
    lines += [f"    {node_ids[up]} --> {node_ids[down]}" for up, down in edges]
    return "\n".join(lines) + "\n"


def _label(text: str) -> str:
    # A newline would end the node's line and start Mermaid code of the file's choosing.
    return "".join(_LABEL_ESCAPES.get(char, char) for char in printable(text))


def longest_path(pipeline: Pipeline) -> list[str]:
    """The longest chain of tasks, each downstream of the one before (the first found when
    several are as long). Tasks on a cycle are not followed through it."""
    names, edges = nodes_and_edges(pipeline)
    downstream: dict[str, list[str]] = {name: [] for name in names}
    waiting = dict.fromkeys(names, 0)  # upstream tasks not yet placed
    for up, down in edges:
        downstream[up].append(down)
        waiting[down] += 1
    # Kahn's topological order, carrying the longest chain that ends at each task.
    ending_at = {name: [name] for name in names}
    ready = [name for name in names if waiting[name] == 0]
    for name in ready:  # grows while it is walked
        for down in downstream[name]:
            if len(ending_at[name]) + 1 > len(ending_at[down]):
                ending_at[down] = [*ending_at[name], down]
            waiting[down] -= 1
            if waiting[down] == 0:
                ready.append(down)
    return max(ending_at.values(), key=len, default=[])

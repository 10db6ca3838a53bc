"""Which variable reads of a dumped graph may run after an update of the same variable (no path orders them)."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format
from tensorflow.core.framework import graph_pb2

WRITES = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")


def _source(name: str) -> str:
    return name.lstrip("^").split(":")[0]


def unordered_reads(path: Path) -> list[str]:
    """``"read -> write"`` for each ReadVariableOp and write (``ResourceApply*``, ``Assign*VariableOp``) of the
    same resource in the GraphDef text at ``path`` such that neither is an ancestor of the other."""
    graph = graph_pb2.GraphDef()
    text_format.Parse(path.read_text(), graph)
    nodes = {node.name: node for node in graph.node}
    parents = {node.name: [_source(i) for i in node.input] for node in graph.node}

    def resource(name: str) -> str:
        node = nodes[name]
        while node.op == "Identity" and node.input:
            node = nodes[_source(node.input[0])]
        return node.name

    ancestors_memo: dict[str, set[str]] = {}

    def ancestors(name: str) -> set[str]:
        if name not in ancestors_memo:
            seen, stack = set(), [name]
            while stack:
                for parent in parents[stack.pop()]:
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            ancestors_memo[name] = seen
        return ancestors_memo[name]

    reads: dict[str, list[str]] = {}
    for node in graph.node:
        if node.op == "ReadVariableOp":
            reads.setdefault(resource(_source(node.input[0])), []).append(node.name)
    found = []
    for node in graph.node:
        if "ResourceApply" in node.op or node.op in WRITES:
            before = ancestors(node.name)
            for read in reads.get(resource(_source(node.input[0])), []):
                if read not in before and node.name not in ancestors(read):
                    found.append(f"{read} -> {node.name}")
    return found

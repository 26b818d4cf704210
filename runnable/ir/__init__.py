"""IR types, validation, canonical serialisation and hashing. Imports nothing else of ours."""

from runnable.ir.model import (
    IR_VERSION,
    NODE_CLASSES,
    READABLE_VERSIONS,
    CatalogSpec,
    ConditionalNode,
    Definition,
    FailNode,
    Graph,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    ReturnSpec,
    StubNode,
    SuccessNode,
    TaskNode,
    TaskSpec,
    make_node,
)

__all__ = [
    "IR_VERSION", "NODE_CLASSES", "READABLE_VERSIONS", "CatalogSpec", "ConditionalNode", "Definition", "FailNode",
    "Graph", "LoopNode", "MapNode", "Node", "ParallelNode", "ReturnSpec", "StubNode", "SuccessNode", "TaskNode",
    "TaskSpec", "make_node",
]

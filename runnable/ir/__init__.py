"""IR types, validation, canonical serialisation and hashing. Imports nothing else of ours."""

from runnable.ir.model import (
    IR_VERSION,
    CatalogSpec,
    Definition,
    Graph,
    Node,
    ReturnSpec,
    TaskSpec,
)

__all__ = ["IR_VERSION", "CatalogSpec", "Definition", "Graph", "Node", "ReturnSpec", "TaskSpec"]

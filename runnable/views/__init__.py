"""Read-only views of runs and definitions: the timeline page, the console tree, the graph.

Views read the run-log store and the IR and render text or one HTML file; they never write a
record. Only the CLI imports them, lazily, so ``import runnable`` does not pay for them.
"""

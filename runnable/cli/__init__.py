"""The ``runnable`` command: its fast paths (``entry``), its click commands (``commands``), finding
definitions in files (``discovery``) and the wiring of config, runtime, targets and engines
(``launch``, ``compiling``). Wiring only: what it wires lives in the packages below it."""

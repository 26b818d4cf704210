"""``python -m runnable.cli``: the same as the ``runnable`` console script."""

from runnable.cli.entry import main

main()

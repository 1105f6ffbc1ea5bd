"""The command line as a file for ``spark-submit``, which takes a Python file, not a command.

::

    spark-submit --master spark://head:7077 \\
        "$(python -c 'import inconcert.spark_submit as m; print(m.__file__)')" \\
        detect /shared/posts/ --out /shared/result --engine spark

Everything after the file is ``inconcert``'s usual arguments.
"""

from __future__ import annotations

import os
import sys


def run() -> None:
    """Run ``inconcert`` with this process's arguments."""
    # run as a file, Python puts this folder first on the path, where the package's own
    # modules (plan, engine, ...) would shadow others' top-level modules of the same name
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from inconcert.cli import main

    main()


if __name__ == "__main__":
    run()

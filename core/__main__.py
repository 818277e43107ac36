"""Entry point of ``python -m core``.

``train`` starts its training process first of all, before the imports below
(see :mod:`core.runs.executors.spare`): its TensorFlow import then overlaps with
everything the command line does before training.
"""

import sys

from core.runs.executors.spare import start_spare_worker

spare = start_spare_worker(niceness="0") if sys.argv[1:2] == ["train"] else None

from core.cli.main import main  # noqa: E402  (after the spare has started)

sys.exit(main(spare=spare))

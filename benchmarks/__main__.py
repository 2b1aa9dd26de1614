"""``python -m benchmarks``: see benchmarks/run.py and benchmarks/README.md."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks.run import main  # noqa: E402  (needs the path above)

sys.exit(main())

"""Entry point of `python -m gradfail`."""

import sys

from gradfail.cli import main

sys.exit(main())

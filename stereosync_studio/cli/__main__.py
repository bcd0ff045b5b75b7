"""`python -m stereosync_studio.cli ...` runs the `stereosync` command."""

import sys

from . import main

sys.exit(main())

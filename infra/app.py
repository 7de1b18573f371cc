"""The CDK app: one stack for the project found from here (or named by ``-c aloft:root=...``).

Run it through ``aloft synth`` / ``aloft deploy``, which pass the project's
settings as context; ``npx cdk synth`` from this directory works too.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jsii prints a page-long warning on Node 20 otherwise; it must be set before aws_cdk loads.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aloft_cdk.stack import build_app

app, _ = build_app()
app.synth()

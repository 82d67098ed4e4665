"""The toy one-shot init: must finish (exit 0) before the web service starts; ``--fail`` exits 3."""

import sys
import time

print("init: preparing", flush=True)
time.sleep(0.3)
if "--fail" in sys.argv:
    print("init: cannot create the bucket (toy fault)", flush=True)
    sys.exit(3)
print("init: done", flush=True)

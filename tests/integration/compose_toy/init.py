"""The toy one-shot init: must finish (exit 0) before the web service starts."""

import time

print("init: preparing", flush=True)
time.sleep(0.3)
print("init: done", flush=True)

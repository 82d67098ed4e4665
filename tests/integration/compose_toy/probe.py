"""The toy health check: ``probe.py <port>`` passes when the server answers; ``probe.py --fail <why>`` never does."""

import sys
import urllib.request

if sys.argv[1] == "--fail":
    print(f"probe: {sys.argv[2]}")
    sys.exit(1)
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=2) as response:
    print(f"probe: HTTP {response.status}")

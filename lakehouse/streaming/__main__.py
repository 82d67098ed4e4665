import sys

from lakehouse.streaming.app import main

sys.exit(main())

import sys

from lakehouse.compose import main

sys.exit(main(sys.argv[1:]))

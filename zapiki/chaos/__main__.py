import sys

from zapiki.chaos.soak import main

if __name__ == "__main__":
    sys.exit(main())

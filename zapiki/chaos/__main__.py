import sys

from zapiki.chaos.soak import main

sys.exit(main())

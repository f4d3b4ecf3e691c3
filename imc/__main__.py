import sys

from imc.cli import main

sys.exit(main())

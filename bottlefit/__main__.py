"""`python -m bottlefit ...` runs the command line of bottlefit.cli."""
from bottlefit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Run the command line as `python -m astigd`."""

from astigd.cli import main

if __name__ == "__main__":
    main()

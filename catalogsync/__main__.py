"""`python -m catalogsync` runs the command-line interface, as the console script does."""

from catalogsync.cli import main

if __name__ == "__main__":
    main()

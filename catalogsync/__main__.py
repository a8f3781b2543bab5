"""`python -m catalogsync` runs the command-line interface."""

from catalogsync.cli import main

if __name__ == "__main__":
    main()

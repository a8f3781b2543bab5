"""`python -m catalogsync` runs what the console script runs: the early login, then the
command-line interface (`catalogsync.launch`)."""

from catalogsync.launch import main

if __name__ == "__main__":
    main()

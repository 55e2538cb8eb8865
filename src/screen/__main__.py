"""`python -m screen` runs the same CLI as the `dealscreen` command."""

from screen.cli.app import main

if __name__ == "__main__":
    main()

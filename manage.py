#!/usr/bin/env python
from inkseal.cli import main

if __name__ == "__main__":
    main()

#!/usr/bin/env python
from liman.cli import main

if __name__ == "__main__":
    main()

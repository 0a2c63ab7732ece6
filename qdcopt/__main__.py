"""``python -m qdcopt``: the same as the ``qdcopt`` command."""

from qdcopt.cli import main

if __name__ == "__main__":
    main()

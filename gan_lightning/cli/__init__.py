"""The command line: the entry-point wrapper, checks before Hydra runs, help pages, the config tree, resolvers."""

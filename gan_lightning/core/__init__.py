"""Support for every layer above: paths, resolvers, the command-line wrapper, data, checkpoints, errors,
iteration counting, curve names, images and the printed config tree. Imports nothing above it."""

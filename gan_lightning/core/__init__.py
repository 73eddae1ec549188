"""The base every layer may use: errors, paths (folders, `ckpt_path` lookup), iteration counting and the curves'
names. Imports nothing of the project above it."""

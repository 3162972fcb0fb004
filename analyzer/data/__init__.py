"""The labelled agreement corpus: authoring format, splits, loaders and checks."""

"""Bundled samples (see NOTICE for sources and licences)."""

from importlib import resources


def path(name: str) -> str:
    return str(resources.files(__name__).joinpath(name))


LABELLED = "labelled_sample.parquet"
COMMENTS = "comments_sample.parquet"
